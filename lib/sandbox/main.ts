// `npm run sandbox -- [--port N] [--secret-out FILE]`: the sandbox platform alone on 127.0.0.1,
// for any client that follows PROTOCOL.md; writes the secret a client needs, then serves until Ctrl-C.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSandbox } from './server.js';
import { ERROR_REQUEST_FIELDS, type ErrorRequestField } from './types.js';

const DEFAULT_SANDBOX_PORT = 3100;
const DEFAULT_SECRET_FILE = '.local/sandbox-secret.json';

const USAGE = `usage: npm run sandbox -- [--port N] [--secret-out FILE] [--error-request-field ${ERROR_REQUEST_FIELDS.join('|')}] [--quiet]

  --port N                 listen on 127.0.0.1:N (default ${DEFAULT_SANDBOX_PORT}; 0 = any free port)
  --secret-out FILE        where to write the client's secret JSON (default ${DEFAULT_SECRET_FILE})
  --error-request-field R  how error envelopes carry request (default absent)
  --quiet                  no line per platform call
`;

interface Arguments {
  readonly port: number;
  readonly secretOut: string;
  readonly errorRequestField: ErrorRequestField;
  readonly quiet: boolean;
}

/** Reads the command line; throws an Error whose message is meant for the user. */
function parseSandboxArguments(argv: readonly string[]): Arguments | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      'secret-out': { type: 'string' },
      'error-request-field': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const portText = values.port ?? String(DEFAULT_SANDBOX_PORT);
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) throw new Error(`--port must be a number from 0 to 65535, got ${JSON.stringify(portText)}`);
  const reading = values['error-request-field'] ?? 'absent';
  if (!(ERROR_REQUEST_FIELDS as readonly string[]).includes(reading)) {
    throw new Error(`--error-request-field must be one of ${ERROR_REQUEST_FIELDS.join(', ')}`);
  }
  const secretOut = values['secret-out'] ?? DEFAULT_SECRET_FILE;
  if (secretOut.trim() === '') throw new Error('--secret-out must name a file');
  return { port, secretOut, errorRequestField: reading as ErrorRequestField, quiet: values.quiet === true };
}

async function main(): Promise<void> {
  const parsed = parseSandboxArguments(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  let started = false; // the banner below replaces the sandbox's own start line
  const sandbox = await startSandbox({
    host: '127.0.0.1',
    port: parsed.port,
    billKey: 'generate',
    errorRequestField: parsed.errorRequestField,
    ...(parsed.quiet ? {} : { logger: (line: string) => void (started && process.stdout.write(`${line}\n`)) }),
  });
  const secretPath = resolve(parsed.secretOut);
  await mkdir(dirname(secretPath), { recursive: true });
  await writeFile(secretPath, `${JSON.stringify(sandbox.secret, null, 2)}\n`, { mode: 0o600 });
  const origin = new URL(sandbox.url).origin;
  const shown = relative(process.cwd(), secretPath) || secretPath;
  process.stdout.write(
    [
      `sandbox listening on ${origin}`,
      `  API      ${sandbox.url}`,
      `  bill     ${sandbox.billUrl}`,
      `  control  ${sandbox.controlUrl}`,
      `  secret   ${shown.startsWith('..') ? secretPath : shown} (app_key ${sandbox.secret.app_key}; keys generated for this run)`,
      `  accounts curl -s ${sandbox.controlUrl}/accounts`,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  started = true;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run sandbox failed: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
});
