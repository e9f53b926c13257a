// The one way this gateway writes DynamoDB: a single-item write under a condition that, when the
// condition fails, answers with the stored item from the failed write itself (no re-read).
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DeleteItemCommandInput,
  type DynamoDBClient,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

/** One conditional write; a put names its key (the item's key attributes) for the fallback read. */
export type ConditionalWrite =
  | { readonly put: PutItemCommandInput & { readonly ConditionExpression: string }; readonly key: Item }
  | { readonly update: UpdateItemCommandInput & { readonly ConditionExpression: string } }
  | { readonly delete: DeleteItemCommandInput & { readonly ConditionExpression: string } };

export type ConditionalResult =
  /** `attributes`: what the write's ReturnValues asked for (undefined when it asked for none). */
  | { readonly written: true; readonly attributes: Item | undefined }
  /** `stored`: the item that failed the condition; undefined when there is none. */
  | { readonly written: false; readonly stored: Item | undefined };

export interface ConditionalWriteOptions {
  /**
   * Whether the caller needs `stored` (default true). DynamoDB returns the item with the failure
   * (ReturnValuesOnConditionCheckFailure ALL_OLD). When the failure carries none — DynamoDB when no
   * item exists, or an emulator that ignores the parameter — one consistent GetItem reads it.
   * False: the item is neither asked for nor read (`stored` is undefined), e.g. when it holds a secret.
   */
  readonly needStored?: boolean;
}

/**
 * Sends a conditional put, update or delete.
 * @throws every error except a failed condition (that is `{ written: false }`).
 * @example
 *   const result = await writeIf(client, { update: { TableName, Key, UpdateExpression, ConditionExpression } });
 *   if (!result.written) inspect(result.stored);
 */
export async function writeIf(
  client: DynamoDBClient,
  write: ConditionalWrite,
  options: ConditionalWriteOptions = {},
): Promise<ConditionalResult> {
  const { needStored } = { needStored: true, ...options };
  const returnOld = needStored ? ({ ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } as const) : {};
  let tableName: string | undefined;
  let key: Item | undefined;
  try {
    if ('put' in write) {
      ({ TableName: tableName } = write.put);
      key = write.key;
      const { Attributes } = await client.send(new PutItemCommand({ ...write.put, ...returnOld }));
      return { written: true, attributes: Attributes };
    }
    if ('update' in write) {
      ({ TableName: tableName, Key: key } = write.update);
      const { Attributes } = await client.send(new UpdateItemCommand({ ...write.update, ...returnOld }));
      return { written: true, attributes: Attributes };
    }
    ({ TableName: tableName, Key: key } = write.delete);
    const { Attributes } = await client.send(new DeleteItemCommand({ ...write.delete, ...returnOld }));
    return { written: true, attributes: Attributes };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    if (!needStored) return { written: false, stored: undefined };
    if (error.Item !== undefined) return { written: false, stored: error.Item };
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
    return { written: false, stored: Item };
  }
}

/** A failed condition, also when the error crossed a module boundary (another copy of the SDK). */
export function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}
