// The deployment's callers from CDK context (`-c callers='{"callers":[…]}'` inline, or
// `-c callersFile=path`), validated at synth with the schema the functions load it with.
import { readFileSync } from 'node:fs';
import type { Node } from 'constructs';
import { CallersListError, parseCallersList, type CallerEntry } from '../lib/callers/schema.js';

/**
 * The list travels to the functions as the environment variable ONECARD_CALLERS (compact JSON),
 * parsed once per container: no I/O per request. Lambda allows 4 KB for all of a function's
 * variables together; the others take under 1 KB, so the list may take 3 KB: 13 callers of the size of
 * API.md's example (one principal, five routes, two merchant accounts, a max_tranamt: 224 bytes each).
 * A longer list fails synth here, never a deploy.
 *
 * Kept in the environment on purpose: the other ceiling, API Gateway's 8192 characters of resource
 * policy (constructs/api-policy.ts), holds 15 such callers, so shipping the list in each bundle would buy
 * two callers unless AWS raises that quota. When it does, the way on is a `callers.json` written into
 * each bundle by an esbuild afterBundling hook and ONECARD_CALLERS_FILE=/var/task/callers.json (the
 * loader already reads a file once at cold start); the asset hash follows the bundle's output, so a
 * changed list redeploys the functions.
 */
export const MAX_CALLERS_JSON_BYTES = 3072;

export interface DeployedCallers {
  readonly entries: readonly CallerEntry[];
  /** The value of ONECARD_CALLERS. */
  readonly json: string;
}

/** Undefined without `callers`/`callersFile` (one caller `default`). @throws Error naming the key, entry and field. */
export function readCallersContext(node: Node): DeployedCallers | undefined {
  const inline: unknown = node.tryGetContext('callers');
  const file: unknown = node.tryGetContext('callersFile');
  const given = (value: unknown): boolean => value !== undefined && value !== null && value !== '';
  if (given(inline) && given(file)) throw new CallersListError('give context callers or callersFile, not both');
  let value: unknown;
  let source: string;
  if (given(inline)) {
    source = 'context callers';
    value = typeof inline === 'string' ? parseJson(inline, source) : inline;
  } else if (given(file)) {
    if (typeof file !== 'string') throw new CallersListError('context callersFile must be a path');
    source = `context callersFile ${file}`;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new CallersListError(`${source}: cannot be read`);
    }
    value = parseJson(text, source);
  } else {
    return undefined;
  }
  const entries = parseCallersList(value, source);
  entries.forEach((entry, index) => {
    if (entry.principals.length === 0) {
      throw new CallersListError(`${source}: callers[${index}] "${entry.name}".principals: a deployed caller needs at least one IAM principal`);
    }
  });
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_CALLERS_JSON_BYTES) {
    throw new CallersListError(`${source}: the list is ${bytes} bytes as JSON; at most ${MAX_CALLERS_JSON_BYTES} fit the functions' environment`);
  }
  return { entries, json };
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CallersListError(`${source}: is not valid JSON`);
  }
}
