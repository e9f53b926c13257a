// What a route's handler answers: a status, a JSON-serializable body and extra headers; the
// adapter serializes it and adds the headers every response carries.
export interface HttpResult {
  readonly statusCode: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}
