// `npm start`: the whole gateway on this machine (dynalite + sandbox platform + the handlers
// behind an API-Gateway-shaped HTTP server on 127.0.0.1:PORT), or with `--instances N` a fleet of
// N such servers, one process each, on one dynalite and one sandbox. Ctrl-C stops it.
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { getConfig, MAX_LOCAL_INSTANCES } from '../config.js';
import { DEFAULT_CALLER_NAME, type Caller } from '../callers/registry.js';
import { formatYuan } from '../protocol/money.js';
import { DEMO_ACCOUNTS } from '../sandbox/index.js';
import { startFleet, type Fleet, type MemberReady } from './fleet.js';
import { DEFAULT_DATA_DIR, startLocalServer, type LocalServer } from './stack.js';

interface Arguments {
  /** `--sandbox-port N`: the built-in sandbox's port (default: any free one). */
  readonly sandboxPort?: number;
  /** `--instances N` (else ONECARD_INSTANCES): gateway processes; absent = 1. */
  readonly instances?: number;
  /** `--fleet-member N`: set by the fleet's parent only; this process is instance N. */
  readonly member?: number;
}

function integerOption(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) throw new Error(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return value;
}

function argumentsOf(argv: readonly string[]): Arguments {
  const { values } = parseArgs({
    args: [...argv],
    options: { 'sandbox-port': { type: 'string' }, instances: { type: 'string' }, 'fleet-member': { type: 'string' } },
    strict: true,
  });
  const sandboxPort = integerOption('sandbox-port', values['sandbox-port'], 0, 65_535);
  const instances = integerOption('instances', values.instances, 1, MAX_LOCAL_INSTANCES);
  const member = integerOption('fleet-member', values['fleet-member'], 1, MAX_LOCAL_INSTANCES);
  return {
    ...(sandboxPort === undefined ? {} : { sandboxPort }),
    ...(instances === undefined ? {} : { instances }),
    ...(member === undefined ? {} : { member }),
  };
}

/** @aws-sdk/core's emitWarningIfUnsupportedVersion: its releases after the first week of January 2027 need this. */
const SDK_NODE_MAJOR = 22;

/**
 * On Node < 22 the AWS SDK prints an eight-line NodeVersionSupportWarning at the first client. It is
 * said once, in one banner line, instead: the SDK's own opt-out (its documented environment
 * variable) is set before any client exists. A user who already set it gets neither.
 */
function sdkNodeVersionNote(): string | undefined {
  if (Number(process.versions.node.split('.')[0]) >= SDK_NODE_MAJOR) return undefined;
  if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === 'true') return undefined;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  return `Node ${process.version}: AWS SDK releases after January 2027 need Node >= ${SDK_NODE_MAJOR}; this one works (README, Quick start)`;
}

async function main(): Promise<void> {
  const args = argumentsOf(process.argv.slice(2));
  if (args.member !== undefined) return member(args.member);
  const note = sdkNodeVersionNote();
  const config = getConfig();
  const instances = args.instances ?? config.instances ?? 1;
  if (instances > 1) {
    const fleet = await startFleet({
      count: instances,
      config,
      dataDir: resolve(config.dataDir ?? DEFAULT_DATA_DIR),
      ...(args.sandboxPort === undefined ? {} : { sandboxOptions: { port: args.sandboxPort } }),
      output: (line) => process.stdout.write(`${line}\n`),
    });
    printFleetBanner(fleet, note);
    onSignals(() => fleet.close(), 12_000);
    return;
  }
  const server = await startLocalServer({ config, ...(args.sandboxPort === undefined ? {} : { sandboxOptions: { port: args.sandboxPort } }) });
  printBanner(server, note);
  onSignals(() => server.close(), 5_000);
}

/** One instance of a fleet: the environment its parent set names everything; it says when it listens. */
async function member(index: number): Promise<void> {
  const server = await startLocalServer({ config: getConfig() });
  const ready: MemberReady = { type: 'ready', url: server.url, port: server.port };
  process.send?.(ready);
  // The parent gone (even by SIGKILL) closes the IPC channel: an instance never outlives its fleet.
  process.once('disconnect', () => void server.close().finally(() => process.exit(0)));
  onSignals(() => server.close(), 5_000, `instance ${index}`);
}

/** SIGINT/SIGTERM: stop once, exit 0 when stopped, 1 if it takes longer than `graceMs`. */
function onSignals(close: () => Promise<void>, graceMs: number, quietName?: string): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    if (quietName === undefined) process.stdout.write(`\n${signal}: stopping…\n`);
    const timer = setTimeout(() => process.exit(1), graceMs);
    timer.unref();
    close().then(
      () => {
        if (quietName === undefined) process.stdout.write('stopped\n');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** The payment the banners' Try commands make (12.50 on merchant 1001), in one place for the caller they pick. */
const DEMO_PAYMENT = { fen: 1250, mercacc: '1001' } as const;

function printFleetBanner(fleet: Fleet, note: string | undefined): void {
  const shown = (path: string): string => {
    const near = relative(process.cwd(), path);
    return near && !near.startsWith('..') ? near : path;
  };
  const first = fleet.instances[0];
  const last = fleet.instances.at(-1);
  const lines: string[] = ['', `onecard-gateway fleet: ${fleet.instances.length} instances, one process each (like Lambda instances)`, ''];
  for (const instance of fleet.instances) lines.push(`  instance ${instance.index} ${instance.url}  pid ${instance.pid}`);
  lines.push('');
  lines.push(`  platform   ${fleet.sandbox ? `one built-in sandbox at ${fleet.apiUrl}` : `external ${fleet.apiUrl}`}`);
  if (fleet.sandbox) lines.push(`  control    ${fleet.sandbox.controlUrl} (GET …/calls counts the platform calls of the whole fleet)`);
  lines.push(`  secret     ${shown(fleet.secretFile)} (every instance reads it: SYNJONES_SECRET_FILE)`);
  lines.push(`  DynamoDB   ${fleet.embeddedDynamo ? 'one embedded dynalite (in memory)' : 'shared'} at ${fleet.dynamoEndpoint} (tables ${fleet.tables.tokenTable}, ${fleet.tables.ledgerTable})`);
  lines.push(`  data       ${fleet.dataDir} (shared, as the deployed instances share the bucket; ONECARD_DATA_DIR)`);
  lines.push(`  callers    ${fleet.callersFile ? `${shown(fleet.callersFile)} (ONECARD_CALLERS_FILE, read by every instance)` : 'none (ONECARD_CALLERS_FILE)'}`);
  if (note) lines.push(`  note       ${note}`);
  if (first && last) {
    const orderNo = `fleet-${Date.now().toString(36)}`;
    lines.push('', `Try: pay through instance ${first.index}, read it back through instance ${last.index}:`, '');
    lines.push(`  curl -s ${first.url}/v1/payments -H 'content-type: application/json' \\`);
    lines.push(`    -d '{"order_no":"${orderNo}","account":"${DEMO_ACCOUNTS[0]?.account ?? '32718'}","tranamt":"${formatYuan(DEMO_PAYMENT.fen)}","mercacc":"${DEMO_PAYMENT.mercacc}"}'`);
    lines.push('');
    lines.push(`  curl -s ${last.url}/v1/payments/${orderNo}`);
    if (fleet.sandbox) lines.push('', `  curl -s ${fleet.sandbox.controlUrl}/calls    # one access-token call for the fleet`);
  }
  lines.push('', 'Ctrl-C stops all of them.', '');
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printBanner(server: LocalServer, note: string | undefined): void {
  const lines: string[] = [];
  lines.push('', `onecard-gateway listening on ${server.url}`, '');
  lines.push(`  OpenAPI    ${server.url}/openapi.json`);
  lines.push(`  health     ${server.url}/v1/health`);
  lines.push(`  platform   ${server.sandbox ? `built-in sandbox at ${server.apiUrl}` : `external ${server.apiUrl}`}`);
  if (server.sandbox) lines.push(`  control    ${server.sandbox.controlUrl} (sandbox faults, accounts, clock: README "The sandbox on its own")`);
  lines.push(`  DynamoDB   ${server.embeddedDynamo ? 'embedded dynalite (in memory)' : 'shared'} at ${server.dynamoEndpoint} (tables ${server.tables.tokenTable}, ${server.tables.ledgerTable})`);
  lines.push(`  data       ${server.dataDir} (bills and reports, kept across runs; ONECARD_DATA_DIR)`);
  lines.push(`  events     ${server.eventsFile} (Order Settled, one JSON line each; ONECARD_EVENTS_FILE)`);
  const callers = server.scope.callers();
  lines.push(
    callers.listed
      ? `  callers    ${callers.all.map((caller) => caller.name).join(', ')} (ONECARD_CALLERS_FILE): each request names one, -H 'x-onecard-caller: <name>'`
      : `  callers    none listed: every request is caller ${DEFAULT_CALLER_NAME.local} (ONECARD_CALLERS_FILE)`,
  );
  if (note) lines.push(`  note       ${note}`);
  if (server.sandbox && server.ownsSandbox) {
    lines.push('', 'Sandbox demo accounts (lib/sandbox/accounts.ts; merchant account: any, e.g. 1001):', '');
    lines.push(`  ${'account'.padEnd(8)} ${'name'.padEnd(6)} ${'sno'.padEnd(11)} ${'balance'.padStart(10)}  notes`);
    for (const account of DEMO_ACCOUNTS) {
      const notes = [
        account.pwd ? `query pwd ${account.pwd}` : '',
        account.lost ? 'reported lost' : '',
        account.frozen ? 'frozen' : '',
        account.mscard === '2' ? 'secondary card' : '',
      ].filter(Boolean);
      lines.push(
        `  ${account.account.padEnd(8)} ${padDisplay(account.name, 6)} ${(account.sno ?? '').padEnd(11)} ${formatYuan(account.balanceFen).padStart(10)}  ${notes.join(', ')}`,
      );
    }
  }
  const example = DEMO_ACCOUNTS[0];
  const sno = example?.sno ?? '2015032718';
  const account = example?.account ?? '32718';
  const orderNo = `demo-${Date.now().toString(36)}`;
  // With a callers list, each command names a caller the list lets make it: the payment and its read one and the
  // same caller (an order is its creator's to read), allowed DEMO_PAYMENT's amount on its merchant. None fits: the
  // first listed, and its 403 says why.
  const header = (caller: Caller | undefined): string => (callers.listed ? ` -H 'x-onecard-caller: ${(caller ?? callers.all[0])?.name ?? ''}'` : '');
  const payer = callers.all.find(
    (caller) =>
      caller.routes.has('payments.create') && caller.routes.has('payments.read') &&
      (caller.mercacc === '*' || caller.mercacc.has(DEMO_PAYMENT.mercacc)) && (caller.maxTranamtFen === undefined || caller.maxTranamtFen >= DEMO_PAYMENT.fen),
  );
  const asker = callers.all.find((caller) => caller.routes.has('cards.query'));
  lines.push('', 'Try:', '');
  lines.push(`  curl -s ${server.url}/v1/cards/query -H 'content-type: application/json'${header(asker)} \\`);
  lines.push(`    -d '{"idtype":"sno","id":"${sno}"}'`);
  lines.push('');
  lines.push(`  curl -s ${server.url}/v1/payments -H 'content-type: application/json'${header(payer)} \\`);
  lines.push(`    -d '{"order_no":"${orderNo}","account":"${account}","tranamt":"${formatYuan(DEMO_PAYMENT.fen)}","mercacc":"${DEMO_PAYMENT.mercacc}"}'`);
  lines.push('');
  lines.push(`  curl -s ${server.url}/v1/payments/${orderNo}${header(payer)}`);
  lines.push('', 'Ctrl-C stops it.', '');
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Pads to a terminal width, counting CJK characters as two columns. */
function padDisplay(text: string, width: number): string {
  let columns = 0;
  for (const char of text) columns += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60]/.test(char) ? 2 : 1;
  return text + ' '.repeat(Math.max(0, width - columns));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`npm start failed: ${message}\n`);
  process.exit(1);
});
