// Reads a fault to queue from the JSON a person sends to POST /control/faults, with an error that
// says what is wrong for any field that is missing, unknown or out of range.
import { SANDBOX_METHODS, type SandboxFault, type SandboxFaultType } from './types.js';

export class FaultInputError extends Error {}

/** The parameters each fault type takes (besides the common type, times, method, methods). */
const PARAMETERS: Readonly<Record<SandboxFaultType, readonly string[]>> = {
  busy: [],
  latency: ['ms'],
  timeout: [],
  stallBody: ['afterBytes'],
  trickleBody: ['bytes', 'everyMs'],
  dropAfterCommit: [],
  badSignature: [],
  gbkText: ['text'],
  plusAsSpace: [],
  invalidateToken: [],
  retcode: ['retcode', 'errmsg'],
  systemError: ['errcode'],
  garbled: [],
  emptyRequest: ['signing'],
};
const COMMON = ['type', 'times', 'method', 'methods'];
const MAX_TIMES = 1_000_000;
const MAX_LATENCY_MS = 10 * 60 * 1000;
const METHOD_NAMES: readonly string[] = Object.values(SANDBOX_METHODS);

export interface FaultRequest {
  readonly fault: SandboxFault;
  readonly times: number;
  readonly methods?: readonly string[];
}

/** A full method name from itself or its short name (`pay`, `queryCard`, …). */
function methodName(text: unknown): string {
  if (typeof text === 'string') {
    if (METHOD_NAMES.includes(text)) return text;
    const short = (SANDBOX_METHODS as Record<string, string>)[text];
    if (short !== undefined) return short;
  }
  const choices = Object.entries(SANDBOX_METHODS).map(([short, name]) => `${short} (${name})`);
  throw new FaultInputError(`unknown method ${JSON.stringify(text)}: use one of ${choices.join(', ')}`);
}

function text(input: Record<string, unknown>, name: string, pattern: RegExp, expectation: string): string {
  const value = input[name];
  if (typeof value !== 'string' || !pattern.test(value)) throw new FaultInputError(`${name} must be ${expectation}`);
  return value;
}

/** Validates `{type, …parameters, times?, method? | methods?}`. */
export function parseFault(input: Record<string, unknown>): FaultRequest {
  const type = input.type;
  if (typeof type !== 'string' || !(type in PARAMETERS)) {
    throw new FaultInputError(`type must be one of ${Object.keys(PARAMETERS).join(', ')}`);
  }
  const faultType = type as SandboxFaultType;
  const allowed = [...COMMON, ...PARAMETERS[faultType]];
  const unknown = Object.keys(input).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    throw new FaultInputError(`unknown field(s) for ${faultType}: ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`);
  }
  const times = input.times ?? 1;
  if (!Number.isSafeInteger(times) || (times as number) < 1 || (times as number) > MAX_TIMES) {
    throw new FaultInputError(`times must be an integer from 1 to ${MAX_TIMES}`);
  }
  if (input.method !== undefined && input.methods !== undefined) throw new FaultInputError('give method or methods, not both');
  let methods: string[] | undefined;
  if (input.method !== undefined) methods = [methodName(input.method)];
  if (input.methods !== undefined) {
    if (!Array.isArray(input.methods) || input.methods.length === 0) throw new FaultInputError('methods must be a non-empty array of method names');
    methods = input.methods.map(methodName);
  }
  return { fault: faultOf(faultType, input), times: times as number, ...(methods ? { methods } : {}) };
}

function faultOf(type: SandboxFaultType, input: Record<string, unknown>): SandboxFault {
  switch (type) {
    case 'latency': {
      const ms = input.ms;
      if (!Number.isSafeInteger(ms) || (ms as number) < 0 || (ms as number) > MAX_LATENCY_MS) {
        throw new FaultInputError(`ms must be an integer from 0 to ${MAX_LATENCY_MS}`);
      }
      return { type, ms: ms as number };
    }
    case 'stallBody': {
      const afterBytes = input.afterBytes;
      if (!Number.isSafeInteger(afterBytes) || (afterBytes as number) < 0) throw new FaultInputError('afterBytes must be an integer >= 0');
      return { type, afterBytes: afterBytes as number };
    }
    case 'trickleBody': {
      const { bytes, everyMs } = input;
      if (!Number.isSafeInteger(bytes) || (bytes as number) < 1) throw new FaultInputError('bytes must be an integer >= 1');
      if (!Number.isSafeInteger(everyMs) || (everyMs as number) < 1 || (everyMs as number) > MAX_LATENCY_MS) {
        throw new FaultInputError(`everyMs must be an integer from 1 to ${MAX_LATENCY_MS}`);
      }
      return { type, bytes: bytes as number, everyMs: everyMs as number };
    }
    case 'gbkText': {
      if (input.text === undefined) return { type };
      return { type, text: text(input, 'text', /^[^\r\n]{1,200}$/, 'a text of 1 to 200 characters on one line') };
    }
    case 'retcode': {
      const retcode = text(input, 'retcode', /^-?\d{1,5}$/, 'a business retcode such as "60010" (digits, at most 6 bytes)');
      if (Number(retcode) === 0) throw new FaultInputError('retcode must not be 0 (that is success: inject nothing)');
      if (input.errmsg === undefined) return { type, retcode };
      return { type, retcode, errmsg: text(input, 'errmsg', /^[^\r\n]{0,42}$/, 'a one-line message of at most 42 characters') };
    }
    case 'systemError': {
      const errcode = text(input, 'errcode', /^-?\d{1,9}$/, 'a system errcode such as "40018" (digits)');
      if (Number(errcode) === 0) throw new FaultInputError('errcode must not be 0');
      return { type, errcode };
    }
    case 'emptyRequest': {
      const signing = input.signing;
      if (signing !== 'omitted' && signing !== 'named') {
        throw new FaultInputError('signing must be "omitted" (sign string errcode40017) or "named" (errcode40017request)');
      }
      return { type, signing };
    }
    default:
      return { type } as SandboxFault;
  }
}
