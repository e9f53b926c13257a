// The sandbox Synjones platform (in memory, over real HTTP) for tests and `npm start`:
// `startSandbox(options)` plus its types. An independent implementation of the platform side.
export { startSandbox } from './server.js';
export { GATEWAY_PATH, BILL_PATH } from './platform-endpoint.js';
export { DEMO_ACCOUNTS } from './accounts.js';
export { platformYuan } from './business.js';
export {
  ERROR_REQUEST_FIELDS,
  FAULT_PROCESSES_REQUEST,
  SANDBOX_METHODS,
  type ErrorRequestField,
  type FaultInjectOptions,
  type FaultInjector,
  type InjectedFault,
  type Sandbox,
  type SandboxAccountSeed,
  type SandboxAccountView,
  type SandboxCall,
  type SandboxClock,
  type SandboxFault,
  type SandboxFaultType,
  type SandboxMethodName,
  type SandboxOptions,
  type SandboxOrder,
  type SandboxOrderStatus,
  type SandboxState,
  type SandboxToken,
  type SeedOptions,
  type SeedResult,
  type SynjonesSecretJson,
} from './types.js';
