// The JSON body of an API Gateway event: base64 or not, at most the size limit, valid UTF-8, JSON
// read exactly (lib/api/json-text.ts); anything else is the client's mistake (ValidationError → 400).
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BodyTooLargeError } from '../api/errors.js';
import { parseJsonText } from '../api/json-text.js';
import { ValidationError } from '../errors.js';

export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The JSON value of an API Gateway event's body; ValidationError for anything a client got wrong. */
export function parseJsonBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>, limitBytes: number): unknown {
  const raw: unknown = event.body;
  if (raw === null || raw === undefined || raw === '') throw new ValidationError('request body is required: send a JSON object', 'body');
  if (typeof raw !== 'string') throw new ValidationError('request body must be JSON text', 'body');
  let text: string;
  if (event.isBase64Encoded === true) {
    if (raw.length > Math.ceil((limitBytes * 4) / 3) + 4) throw new BodyTooLargeError(limitBytes);
    const bytes = Buffer.from(raw, 'base64');
    if (bytes.length > limitBytes) throw new BodyTooLargeError(limitBytes);
    try {
      text = utf8.decode(bytes);
    } catch {
      throw new ValidationError('request body is not valid UTF-8', 'body');
    }
  } else {
    if (raw.length > limitBytes || Buffer.byteLength(raw, 'utf8') > limitBytes) throw new BodyTooLargeError(limitBytes);
    text = raw;
  }
  if (text.trim() === '') throw new ValidationError('request body is required: send a JSON object', 'body');
  return parseJsonText(text);
}
