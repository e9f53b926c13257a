// `npm start`: the whole gateway on this machine (dynalite + sandbox platform + the handlers
// behind an API-Gateway-shaped HTTP server on 127.0.0.1:PORT). Ctrl-C stops it.
import { parseArgs } from 'node:util';
import { getConfig } from '../config.js';
import { formatYuan } from '../protocol/money.js';
import { DEMO_ACCOUNTS } from '../sandbox/index.js';
import { startLocalServer, type LocalServer } from './server.js';

/** `--sandbox-port N` fixes the built-in sandbox's port (default: any free one). */
function sandboxPortOf(argv: readonly string[]): number | undefined {
  const { values } = parseArgs({ args: [...argv], options: { 'sandbox-port': { type: 'string' } }, strict: true });
  const text = values['sandbox-port'];
  if (text === undefined) return undefined;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) throw new Error(`--sandbox-port must be a number from 0 to 65535, got ${JSON.stringify(text)}`);
  return port;
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
  const note = sdkNodeVersionNote();
  const config = getConfig();
  const sandboxPort = sandboxPortOf(process.argv.slice(2));
  const server = await startLocalServer({ config, ...(sandboxPort === undefined ? {} : { sandboxOptions: { port: sandboxPort } }) });
  printBanner(server, note);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    const timer = setTimeout(() => process.exit(1), 5_000);
    timer.unref();
    server.close().then(
      () => {
        process.stdout.write('stopped\n');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
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
  lines.push('', 'Try:', '');
  lines.push(`  curl -s ${server.url}/v1/cards/query -H 'content-type: application/json' \\`);
  lines.push(`    -d '{"idtype":"sno","id":"${sno}"}'`);
  lines.push('');
  lines.push(`  curl -s ${server.url}/v1/payments -H 'content-type: application/json' \\`);
  lines.push(`    -d '{"order_no":"${orderNo}","account":"${account}","tranamt":"12.50","mercacc":"1001"}'`);
  lines.push('');
  lines.push(`  curl -s ${server.url}/v1/payments/${orderNo}`);
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
