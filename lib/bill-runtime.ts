// The bill service of the current runtime scope, apart from lib/runtime.ts so that only the bill
// function (functions/down-bill.ts) bundles lib/bills: the others import the core runtime alone.
import type { GatewayConfig } from './config.js';
import type { BillArchive } from './bills/archive.js';
import { createBillService } from './bills/service.js';
import type { BillService } from './bills/service-types.js';
import { currentScope } from './runtime.js';
import { exceptionConsumers } from './reconciliation/bill-consumer.js';
import { getReconciliationService } from './reconciliation-runtime.js';

const BILL_SERVICE = Symbol('bill service');

/** The bill service of this container (or local server instance); `defaultArchive` unless the overrides carry an archive. */
export function getBillService(defaultArchive: (config: GatewayConfig) => BillArchive): Promise<BillService> {
  const scope = currentScope();
  return scope.shared(BILL_SERVICE, (runtime, overrides) =>
    createBillService({
      platform: runtime.platform,
      ledger: runtime.ledger,
      payments: runtime.payments,
      archive: overrides.archive ?? defaultArchive(runtime.config),
      defaultCryptType: runtime.config.billCryptType,
      finalAfterMinutes: runtime.config.billFinalAfterMinutes,
      now: runtime.now,
      onMismatch: runtime.reportMismatch,
      settleReserveMs: runtime.timings.billSettleReserveMs,
      // A final bill's reconciliation keeps its differences as exceptions (lib/reconciliation).
      reportConsumers: exceptionConsumers({
        startFeed: async (billDate, pendingNow, run) => (await getReconciliationService(scope)).startFeed(billDate, pendingNow, run),
        getMany: (orderNos) => runtime.ledger.getMany(orderNos),
      }),
    }),
  );
}
