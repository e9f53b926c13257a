// The reconciliation exceptions use case of the current runtime scope (its store on the scope's DynamoDB client),
// beside lib/bill-runtime.ts: only the bill function, which serves the exceptions routes and feeds them, bundles it.
import { createExceptionStore } from './reconciliation/store.js';
import { createReconciliationService, type ReconciliationService } from './reconciliation/service.js';
import { currentScope, type RuntimeScope } from './runtime.js';

const RECONCILIATION_SERVICE = Symbol('reconciliation service');

/** The exceptions use case of this container (or local server instance), or of the given scope. */
export function getReconciliationService(scope: RuntimeScope = currentScope()): Promise<ReconciliationService> {
  return scope.shared(RECONCILIATION_SERVICE, (runtime) =>
    createReconciliationService({
      store: createExceptionStore({ client: runtime.dynamo, tableName: runtime.config.exceptionsTable }),
      now: runtime.now,
    }),
  );
}
