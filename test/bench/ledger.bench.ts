// Ledger bench: the DynamoDB calls one payment, one replay of it and one full refund send (counted at
// the client by a middleware, on dynalite) and their wall time. Alone: `npx tsx test/bench/ledger.bench.ts`.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { createLedgerStore } from '../../lib/ledger/store.js';
import { createPaymentService } from '../../lib/ledger/payments.js';
import { startDynalite } from '../support/dynalite.js';
import { countDynamoCalls, describeCalls } from '../support/dynamo-calls.js';
import { FakePlatform } from '../ledger/fake-platform.js';

const ROUNDS = 200;

export async function runLedgerBench(): Promise<void> {
  const dynamo = await startDynalite();
  try {
    const log = countDynamoCalls(dynamo.client);
    const platform = new FakePlatform();
    const ledger = createLedgerStore({ client: dynamo.client, tableName: dynamo.tables.ledgerTable });
    const service = createPaymentService({ ledger, platform });
    const kinds = ['payment', 'replay', 'refund'] as const;
    const calls = new Map<string, readonly string[]>();
    const elapsedMs = new Map<string, number>(kinds.map((kind) => [kind, 0]));
    const timed = async (kind: (typeof kinds)[number], action: () => Promise<unknown>): Promise<void> => {
      const started = performance.now();
      const sent = await log.during(action);
      elapsedMs.set(kind, (elapsedMs.get(kind) ?? 0) + performance.now() - started);
      const first = calls.get(kind);
      if (first === undefined) calls.set(kind, sent);
      else if (first.join() !== sent.join()) throw new Error(`${kind} sent ${sent.join()} after ${first.join()}`);
    };
    for (let round = 0; round < ROUNDS; round++) {
      const pay = { orderNo: `B${round}`, account: '1001', acctype: '###', mercacc: '9001', amountFen: 1000 };
      await timed('payment', () => service.pay(pay));
      await timed('replay', () => service.pay(pay));
      await timed('refund', () =>
        service.refund({ ...pay, orderNo: `BR${round}`, refundOrderNo: pay.orderNo }),
      );
    }
    for (const kind of kinds) {
      const ms = (elapsedMs.get(kind) ?? 0) / ROUNDS;
      console.log(`${kind.padEnd(8)} DynamoDB calls ${describeCalls(calls.get(kind) ?? []).padEnd(52)} ${ms.toFixed(2).padStart(6)} ms`);
    }
  } finally {
    await dynamo.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runLedgerBench();
