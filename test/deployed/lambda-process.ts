// Runs one staged bundle as Lambda would: a fresh Node process (this test run's Node) in the bundle's
// directory with the function's environment, the handler loaded once and invoked event by event (a warm
// container); each invocation's stdout lines (logs, EMF) are kept with its result.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

/** Prefix of the host's own stdout lines (results), never printed by a function. */
const MARKER = '\u001elambda-host ';

/**
 * The host: imports the handler's module, then reads one JSON event per stdin line and answers on stdout
 * with the marker, the way the Lambda runtime calls a handler (event, context) and awaits it.
 */
const HOST_SOURCE = `
import { createInterface } from 'node:readline';
const [moduleUrl, exportName, functionName, timeoutSeconds] = process.argv.slice(2);
const MARKER = ${JSON.stringify(MARKER)};
const say = (message) => process.stdout.write(MARKER + JSON.stringify(message) + '\\n');
let handler;
try {
  handler = (await import(moduleUrl))[exportName];
  if (typeof handler !== 'function') throw new Error('the module does not export ' + exportName);
  say({ ready: true });
} catch (error) {
  say({ ready: false, error: { name: error.name, message: error.message, stack: error.stack } });
  process.exit(1);
}
for await (const line of createInterface({ input: process.stdin })) {
  const { id, event } = JSON.parse(line);
  const deadline = Date.now() + Number(timeoutSeconds) * 1000;
  const context = {
    awsRequestId: id,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:' + process.env.AWS_REGION + ':123456789012:function:' + functionName,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {}, fail() {}, succeed() {},
  };
  try {
    say({ id, result: await handler(event, context) });
  } catch (error) {
    say({ id, error: { name: error?.name, message: error?.message } });
  }
}
`;

export interface Invocation {
  readonly result?: unknown;
  /** What the handler threw (Lambda reports it as a function error). */
  readonly error?: { readonly name?: string; readonly message?: string };
  /** The function's stdout lines during this invocation. */
  readonly stdout: readonly string[];
  readonly durationMs: number;
}

export interface LambdaProcess {
  invoke(event: unknown): Promise<Invocation>;
  /** Everything the process wrote on stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

export interface LambdaProcessOptions {
  readonly assetDir: string;
  /** `index.handler` */
  readonly handler: string;
  readonly functionName: string;
  readonly timeoutSeconds: number;
  /** The complete environment (the template's, resolved, plus what Lambda itself sets). */
  readonly env: Readonly<Record<string, string>>;
  /** Where the host script is written (once per directory). */
  readonly hostDir: string;
}

/** The module file Lambda's Node runtime would load for `index.handler`: .mjs, .js or .cjs. */
export function handlerModule(assetDir: string, handler: string): { file: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  const [moduleName, exportName] = [handler.slice(0, dot), handler.slice(dot + 1)];
  const file = ['.mjs', '.js', '.cjs'].map((ext) => path.join(assetDir, moduleName + ext)).find((candidate) => existsSync(candidate));
  if (!file) throw new Error(`no module ${moduleName}.mjs/.js/.cjs in ${assetDir} for handler ${handler}`);
  return { file, exportName };
}

export async function startLambdaProcess(options: LambdaProcessOptions): Promise<LambdaProcess> {
  const hostFile = path.join(options.hostDir, 'lambda-host.mjs');
  if (!existsSync(hostFile)) writeFileSync(hostFile, HOST_SOURCE);
  const { file, exportName } = handlerModule(options.assetDir, options.handler);
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [hostFile, pathToFileURL(file).href, exportName, options.functionName, String(options.timeoutSeconds)],
    { cwd: options.assetDir, env: { ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let lines: string[] = [];
  const waiting = new Map<string, (message: Record<string, unknown>) => void>();
  let onReady: ((message: Record<string, unknown>) => void) | undefined;
  let exited: string | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith(MARKER)) {
      lines.push(line);
      return;
    }
    const message = JSON.parse(line.slice(MARKER.length)) as Record<string, unknown>;
    if ('ready' in message) onReady?.(message);
    else waiting.get(String(message.id))?.(message);
  });
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = `exited (${code ?? signal})`;
      for (const reject of waiting.values()) reject({ id: '', error: { name: 'ProcessExit', message: `${exited}; stderr: ${stderr}` } });
      onReady?.({ ready: false, error: { message: `${exited}; stderr: ${stderr}` } });
      resolve();
    }),
  );

  const ready = await new Promise<Record<string, unknown>>((resolve) => (onReady = resolve));
  if (ready.ready !== true) throw new Error(`${options.functionName} did not load: ${JSON.stringify(ready.error)}`);

  return {
    invoke: (event) => {
      if (exited) return Promise.reject(new Error(`${options.functionName} ${exited}`));
      const id = randomUUID();
      const started = Date.now();
      lines = [];
      return new Promise<Invocation>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          child.kill('SIGKILL');
          reject(new Error(`${options.functionName} timed out after its ${options.timeoutSeconds} s (Task timed out); stderr: ${stderr}`));
        }, options.timeoutSeconds * 1000);
        waiting.set(id, (message) => {
          clearTimeout(timer);
          waiting.delete(id);
          const invocation: Invocation = {
            ...('result' in message ? { result: message.result } : {}),
            ...(message.error ? { error: message.error as Invocation['error'] } : {}),
            stdout: lines,
            durationMs: Date.now() - started,
          };
          resolve(invocation);
        });
        child.stdin.write(`${JSON.stringify({ id, event })}\n`);
      });
    },
    stderr: () => stderr,
    stop: async () => {
      if (!exited) {
        child.stdin.end();
        child.kill('SIGTERM');
      }
      await exit;
    },
  };
}
