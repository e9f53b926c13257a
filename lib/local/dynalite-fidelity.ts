// Teaches dynalite 4 one DynamoDB behaviour it lacks: a write with ReturnValuesOnConditionCheckFailure
// ALL_OLD that fails its condition returns the stored item in the error (as DynamoDB documents it).
//
// dynalite drops the parameter during validation and answers a bare ConditionalCheckFailedException, so
// without this the local stack and the tests would take lib/dynamo's fallback read on every failed
// condition, and the call counts they show would not be DynamoDB's. The fallback itself is tested apart.
import { createRequire } from 'node:module';

type Data = Record<string, unknown>;
interface DynaliteFailure extends Error {
  body?: Data;
}
interface DynaliteDb {
  checkConditional(data: Data, existingItem: unknown): DynaliteFailure | undefined | null;
}
interface DynaliteValidation {
  types: Record<string, unknown>;
}

const require = createRequire(import.meta.url);
let installed = false;

/** Installs the behaviour in the process's dynalite module (idempotent; affects every dynalite server). */
export function returnItemOnConditionFailure(): void {
  if (installed) return;
  installed = true;
  for (const action of ['putItem', 'updateItem', 'deleteItem']) {
    const validation = require(`dynalite/validations/${action}.js`) as DynaliteValidation;
    validation.types['ReturnValuesOnConditionCheckFailure'] = { type: 'String', enum: ['ALL_OLD', 'NONE'] };
  }
  const db = require('dynalite/db/index.js') as DynaliteDb;
  const checkConditional = db.checkConditional.bind(db);
  db.checkConditional = (data, existingItem) => {
    const failure = checkConditional(data, existingItem);
    if (failure?.body && existingItem && data['ReturnValuesOnConditionCheckFailure'] === 'ALL_OLD') {
      failure.body['Item'] = existingItem;
    }
    return failure;
  };
}
