// The request id of an API request: the client's x-request-id when well-formed, else API Gateway's
// own, else a fresh one. It is echoed on every response and keys every log line of the request.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** x-request-id from the client when well-formed, else API Gateway's request id, else a new one. */
export function chooseRequestId(event: Partial<APIGatewayProxyEvent>): string {
  const headers = event.headers && typeof event.headers === 'object' ? event.headers : {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'x-request-id' && typeof value === 'string' && REQUEST_ID_PATTERN.test(value)) return value;
  }
  const fromGateway = event.requestContext?.requestId;
  if (typeof fromGateway === 'string' && REQUEST_ID_PATTERN.test(fromGateway)) return fromGateway;
  return randomUUID();
}
