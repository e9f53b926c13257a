// Structured JSON logs (Powertools Logger), redacted by lib/observability/redaction.ts, and a sink
// hook so the local server and tests can capture every line.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from './names.js';
import { redactValue } from './redaction.js';

/** Receives each log line (one JSON document, no trailing newline). */
export type LogSink = (line: string) => void;

const scopedSinks = new AsyncLocalStorage<LogSink>();
let globalSink: LogSink | undefined;

/** Sends every log line of this process to `sink` (undefined: back to stdout/stderr). */
export function setLogSink(sink: LogSink | undefined): void {
  globalSink = sink;
}

/** Runs `work` with its log lines (and those of anything it awaits) going to `sink`. */
export function withLogSink<T>(sink: LogSink | undefined, work: () => T): T {
  return sink ? scopedSinks.run(sink, work) : work();
}

function emit(stream: 'stdout' | 'stderr', line: string): void {
  const sink = scopedSinks.getStore() ?? globalSink;
  if (sink) sink(line);
  else process[stream].write(`${line}\n`);
}

/** The Logger's console, routed through the sink hook. */
const sinkConsole = {
  log: (line: string) => emit('stdout', line),
  debug: (line: string) => emit('stdout', line),
  info: (line: string) => emit('stdout', line),
  trace: (line: string) => emit('stdout', line),
  warn: (line: string) => emit('stderr', line),
  error: (line: string) => emit('stderr', line),
};

export interface LoggerOptions {
  readonly serviceName: string;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

let shared: Logger | undefined;

/** The process's logger (created on first use). */
export function getLogger(options?: LoggerOptions): Logger {
  if (shared === undefined) {
    shared = new Logger({
      serviceName: options?.serviceName ?? SERVICE_NAME,
      logLevel: options?.logLevel ?? 'INFO',
      jsonReplacerFn: redactValue,
    });
    // Powertools prints through its own Console on process.stdout; route it through the sink.
    Object.assign(shared as unknown as { console: unknown }, { console: sinkConsole });
  }
  return shared;
}
