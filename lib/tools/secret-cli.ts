// `npm run secret -- build | check | put`: the IT staff's tool to turn key files into the gateway's
// secret JSON, validate one, and store it in Secrets Manager. Prints sizes and fingerprints only.
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PutSecretValueCommand, SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { parseSecretText } from '../secrets/index.js';
import { SecretBuildError, buildSecret, checkSecret, keyFileText, type SecretReport } from './secret-builder.js';

export const USAGE = `usage:
  npm run secret -- build --app-key KEY --app-secret BASE64 --private-key key.pem
                          --platform-public-key platform.pem [--bill-key BASE64] [--out FILE] [--force]
  npm run secret -- check FILE
  npm run secret -- put --secret-id ID [--region REGION] FILE

  Key files: PEM (PKCS#8, PKCS#1, SPKI, RSA PUBLIC KEY), bare base64 DER, or binary DER.
  build writes FILE (default secret.json, mode 600) and refuses to overwrite it without --force.
  Nothing printed ever contains key material: sizes and SHA-256 fingerprints only.
`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Secrets Manager client for `put` (default: one for --region or the SDK's own region chain). */
  secretsManager?(region: string | undefined): SecretsManagerClient;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

class UsageError extends Error {}

/** Runs one command; resolves to the exit code (0 done, 1 the secret or the service refused, 2 usage). */
export async function runSecretCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === 'build') return await build(rest, io);
    if (command === 'check') return await check(rest, io);
    if (command === 'put') return await put(rest, io);
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      io.err(`error: ${error.message}`);
      io.err(USAGE);
      return 2;
    }
    if (error instanceof SecretBuildError) {
      io.err(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

function printReport(report: SecretReport, io: CliIo): void {
  for (const line of report.lines) io.out(`  ${line}`);
  for (const warning of report.warnings) io.out(`  warning: ${warning}`);
}

async function readKeyFile(path: string, field: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SecretBuildError(`${field}: cannot read ${path} (${code})`, field);
  }
  return keyFileText(bytes, field);
}

async function build(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      'app-key': { type: 'string' },
      'app-secret': { type: 'string' },
      'private-key': { type: 'string' },
      'platform-public-key': { type: 'string' },
      'bill-key': { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`build takes no positional arguments (got ${positionals.length})`);
  const missing = ['app-key', 'app-secret', 'private-key', 'platform-public-key'].filter((name) => values[name as keyof typeof values] === undefined);
  if (missing.length > 0) throw new UsageError(`build needs ${missing.map((name) => `--${name}`).join(', ')}`);
  const privateKey = await readKeyFile(values['private-key'] as string, 'private_key');
  const platformPublicKey = await readKeyFile(values['platform-public-key'] as string, 'platform_public_key');
  const { secret, report } = buildSecret({
    appKey: values['app-key'] as string,
    appSecret: values['app-secret'] as string,
    privateKey,
    platformPublicKey,
    ...(values['bill-key'] === undefined ? {} : { billKey: values['bill-key'] }),
  });
  const out = values.out ?? 'secret.json';
  try {
    await writeFile(out, `${JSON.stringify(secret, null, 2)}\n`, { mode: 0o600, flag: values.force ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new SecretBuildError(`${out} exists: choose another --out or pass --force to replace it`);
    throw new SecretBuildError(`cannot write ${out} (${code ?? 'error'})`);
  }
  io.out(`built a valid secret:`);
  printReport(report, io);
  io.out(`wrote ${resolve(out)} (mode 600; it holds the private key: keep it out of git and chat)`);
  return 0;
}

async function readSecretFile(argv: readonly string[], what: string): Promise<{ path: string; text: string; json: unknown }> {
  if (argv.length !== 1 || argv[0] === undefined) throw new UsageError(`${what} takes exactly one FILE`);
  const path = argv[0];
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SecretBuildError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return { path, text, json: parseSecretText(text, `secret file ${path}`) };
  } catch (error) {
    throw new SecretBuildError(error instanceof Error ? error.message : String(error));
  }
}

async function check(argv: readonly string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args: [...argv], options: {}, strict: true, allowPositionals: true });
  const { path, json } = await readSecretFile(positionals, 'check');
  const report = checkSecret(json, `secret file ${path}`);
  io.out(`${path}: a valid secret`);
  printReport(report, io);
  return 0;
}

async function put(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { 'secret-id': { type: 'string' }, region: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  });
  const secretId = values['secret-id'];
  if (!secretId) throw new UsageError('put needs --secret-id ID (the name or ARN of the gateway\'s secret)');
  const { path, text, json } = await readSecretFile(positionals, 'put');
  const report = checkSecret(json, `secret file ${path}`);
  io.out(`${path}: a valid secret`);
  printReport(report, io);
  const client = io.secretsManager?.(values.region) ?? new SecretsManagerClient(values.region ? { region: values.region } : {});
  try {
    const answer = await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: text }));
    io.out(`stored in ${answer.ARN ?? secretId}: version ${answer.VersionId ?? '?'} (${(answer.VersionStages ?? []).join(', ')})`);
    io.out('running gateway functions pick it up on their next secret refresh (or at once after a 40004)');
    return 0;
  } catch (error) {
    throw new SecretBuildError(putFailure(error, secretId));
  } finally {
    client.destroy();
  }
}

/** What the service said, and what to do about it. */
function putFailure(error: unknown, secretId: string): string {
  if (!(error instanceof SecretsManagerServiceException)) {
    return `could not reach Secrets Manager for ${secretId}: ${error instanceof Error ? error.message : String(error)}`;
  }
  const hint: Record<string, string> = {
    ResourceNotFoundException: 'no such secret in this account and region: deploy the stack first, or check --secret-id and --region',
    AccessDeniedException: 'your credentials may not call secretsmanager:PutSecretValue on it (or use its KMS key)',
    InvalidRequestException: 'the secret cannot take a value now (e.g. it is marked for deletion: restore it first)',
    InvalidParameterException: 'the service refused a parameter',
    LimitExceededException: 'too many versions: wait for old ones to be removed',
    EncryptionFailure: 'the secret\'s KMS key could not encrypt the value (disabled key or missing kms:GenerateDataKey)',
  };
  return `Secrets Manager refused to store ${secretId}: ${error.name}: ${error.message}${hint[error.name] ? ` (${hint[error.name]})` : ''}`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runSecretCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`npm run secret failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
