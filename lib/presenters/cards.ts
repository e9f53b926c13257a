// A card of synjones.onecard.query.card as API.md's cards JSON: the platform's fields as it sent
// them, plus the two balances converted from fen to yuan strings.
import { formatYuan, parseFenString } from '../protocol/money.js';
import type { CardRecord } from '../platform/types.js';

/** Every field the platform returned, plus db_balance_yuan and unsettle_amount_yuan. */
export function cardJson(card: CardRecord): Record<string, unknown> {
  return {
    ...card,
    db_balance_yuan: fenToYuan(card['db_balance']),
    unsettle_amount_yuan: fenToYuan(card['unsettle_amount']),
  };
}

function fenToYuan(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  try {
    return formatYuan(parseFenString(value));
  } catch {
    return null;
  }
}
