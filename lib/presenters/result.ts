// What a route's handler answers: a status, a JSON-serializable body and extra headers; the
// adapter serializes it and adds the headers every response carries.
export interface HttpResult {
  readonly statusCode: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
  /** Sent as the body as it is (e.g. text/csv, with its content-type in headers) instead of JSON of `body`. */
  readonly text?: string;
}
