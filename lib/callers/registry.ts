// The callers of one deployment, looked up by name (local) or by SigV4 identity (deployed): built
// once per container from the list (or the single default caller), so a request costs no I/O.
import { readFileSync } from 'node:fs';
import { CALLER_ROUTES, CallersListError, parseCallersText, principalKey, type CallerEntry, type CallerRoute } from './schema.js';

/** A caller as the checks see it. */
export interface Caller {
  readonly name: string;
  readonly routes: ReadonlySet<CallerRoute>;
  /** '*' = every merchant account (and every order: no ownership filter). */
  readonly mercacc: '*' | ReadonlySet<string>;
  readonly maxTranamtFen?: number;
}

export interface Callers {
  /** False: no list, one caller with every route (`defaultCaller`). */
  readonly listed: boolean;
  /** True locally: the caller is named (by the local server, from x-onecard-caller); deployed: by SigV4 identity. */
  readonly local: boolean;
  readonly all: readonly Caller[];
  /** The caller every request is when no list is configured. */
  readonly defaultCaller?: Caller;
  byName(name: string): Caller | undefined;
  /** By a SigV4 identity: a role or user ARN, or an assumed-role session ARN (matches its role). */
  byPrincipal(arn: string): Caller | undefined;
}

/** Without a list: `default` deployed, `local` locally (API.md "Callers"). */
export const DEFAULT_CALLER_NAME = { deployed: 'default', local: 'local' } as const;

export function toCaller(entry: CallerEntry): Caller {
  return {
    name: entry.name,
    routes: new Set(entry.routes),
    mercacc: entry.mercacc === '*' ? '*' : new Set(entry.mercacc),
    ...(entry.maxTranamtFen !== undefined ? { maxTranamtFen: entry.maxTranamtFen } : {}),
  };
}

/** The registry of a list, or of the single default caller when `entries` is undefined. */
export function createCallers(entries: readonly CallerEntry[] | undefined, local: boolean): Callers {
  if (entries === undefined) {
    const name = local ? DEFAULT_CALLER_NAME.local : DEFAULT_CALLER_NAME.deployed;
    const only = toCaller({ name, principals: [], routes: CALLER_ROUTES, mercacc: '*' });
    return { listed: false, local, all: [only], defaultCaller: only, byName: (name) => (name === only.name ? only : undefined), byPrincipal: () => only };
  }
  const byName = new Map<string, Caller>();
  const byKey = new Map<string, Caller>();
  for (const entry of entries) {
    const caller = toCaller(entry);
    byName.set(caller.name, caller);
    for (const principal of entry.principals) {
      const key = principalKey(principal);
      if (key) byKey.set(key, caller);
    }
  }
  return {
    listed: true,
    local,
    all: [...byName.values()],
    byName: (name) => byName.get(name),
    byPrincipal: (arn) => {
      const key = identityKey(arn);
      return key === undefined ? undefined : byKey.get(key);
    },
  };
}

const SESSION_PATTERN = /^arn:aws[a-z-]*:sts::([0-9]{12}):assumed-role\/([\w+=,.@-]{1,64})\/[\w+=,.@-]{1,64}$/;

/** The principalKey of an identity; an assumed-role session `arn:aws:sts::ACC:assumed-role/ROLE/SESSION` is its role's. */
export function identityKey(arn: string): string | undefined {
  const session = SESSION_PATTERN.exec(arn);
  if (session) return `${session[1]}:role/${session[2]}`;
  return principalKey(arn);
}

export interface CallersSource {
  /** ONECARD_CALLERS_FILE (local). */
  readonly callersFile?: string;
  /** ONECARD_CALLERS: the list's JSON text, set by the stack on each function (deployed). */
  readonly callersJson?: string;
  readonly onLambda: boolean;
}

/**
 * The callers of this configuration: read once (the file at cold start), validated.
 * @throws CallersListError naming the source, the entry and the field.
 */
export function loadCallers(source: CallersSource): Callers {
  const local = !source.onLambda;
  if (source.callersJson !== undefined) return createCallers(parseCallersText(source.callersJson, 'ONECARD_CALLERS'), local);
  if (source.callersFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(source.callersFile, 'utf8');
    } catch (error) {
      throw new CallersListError(`ONECARD_CALLERS_FILE ${source.callersFile}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return createCallers(parseCallersText(text, `ONECARD_CALLERS_FILE ${source.callersFile}`), local);
  }
  return createCallers(undefined, local);
}
