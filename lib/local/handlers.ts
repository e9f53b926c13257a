// The Lambda handlers by function name, as the local server invokes them (the same files
// API Gateway invokes when deployed).
import type { Context } from 'aws-lambda';
import type { FunctionName } from '../api/routes.js';
import { handler as accessToken } from '../../functions/access-token.js';
import { handler as downBill } from '../../functions/down-bill.js';
import { handler as pay } from '../../functions/pay.js';
import { handler as payQuery } from '../../functions/pay-query.js';
import { handler as queryCard } from '../../functions/query-card.js';
import { handler as refund } from '../../functions/refund.js';

export type AnyHandler = (event: never, context: Context) => Promise<unknown>;

export const HANDLERS: Readonly<Record<FunctionName, AnyHandler>> = {
  'access-token': accessToken,
  'query-card': queryCard,
  pay,
  refund,
  'pay-query': payQuery,
  'down-bill': downBill,
};
