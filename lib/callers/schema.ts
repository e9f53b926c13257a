// The callers list of API.md "Callers" (zod mini, like lib/api/schemas.ts): one schema for the CDK
// context at synth and for ONECARD_CALLERS_FILE / ONECARD_CALLERS at load, errors naming entry and field.
import { ConfigurationError } from '../errors.js';
import * as z from '../protocol/zod.js';
import { parseYuan } from '../protocol/money.js';

/** The route names a caller may be given (API.md "Callers"); lib/api/routes.ts binds each route to one. */
export const CALLER_ROUTES = [
  'cards.query',
  'payments.create',
  'payments.read',
  'payments.query',
  'refunds.create',
  'bills.read',
  'reconciliation.read',
  'reconciliation.write',
] as const;
export type CallerRoute = (typeof CALLER_ROUTES)[number];

export const CALLER_NAME_PATTERN = /^[a-z0-9-]{1,32}$/;
const MERCACC_PATTERN = /^[0-9A-Za-z]{1,10}$/;
/** An IAM role or user ARN, with an optional path: what SigV4 identities resolve to. */
export const PRINCIPAL_PATTERN = /^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)\/([\w+=,.@/-]{1,512})$/;

/** One caller as the list writes it. */
export interface CallerEntry {
  readonly name: string;
  readonly principals: readonly string[];
  readonly routes: readonly CallerRoute[];
  readonly mercacc: '*' | readonly string[];
  /** Fen; absent: no limit beyond the platform's. */
  readonly maxTranamtFen?: number;
}

const unique = (what: string) =>
  z.refine<readonly string[]>((values) => new Set(values).size === values.length, { error: `must not repeat a ${what}` });

// Built on the first parse (z.lazy, as lib/api/schemas.ts), not at module load: every function bundles this
// module, but only reading a list (once per container, at its first request; never without one) needs it.
const entrySchema = () => z.strictObject({
  name: z.string().check(z.regex(CALLER_NAME_PATTERN, { error: 'must be 1–32 characters of a-z, 0-9 and -' })),
  principals: z._default(
    z.array(z.string().check(z.regex(PRINCIPAL_PATTERN, { error: 'must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)' }))).check(unique('principal')),
    [],
  ),
  routes: z
    .array(z.enum(CALLER_ROUTES, { error: `must be one of ${CALLER_ROUTES.join(', ')}` }))
    .check(z.minLength(1, { error: 'must name at least one route' }), unique('route')),
  mercacc: z.union(
    [
      z.literal('*'),
      z
        .array(z.string().check(z.regex(MERCACC_PATTERN, { error: 'must be 1–10 characters of 0-9, A-Z, a-z' })))
        .check(z.minLength(1, { error: 'must name at least one merchant account, or be "*"' }), unique('merchant account')),
    ],
    { error: 'must be "*" or a list of merchant accounts' },
  ),
  max_tranamt: z.optional(
    z.pipe(
      z.string({ error: 'must be a yuan string like "500.00"' }),
      z.transform((value: string, context) => {
        try {
          return parseYuan(value, 'max_tranamt');
        } catch (error) {
          context.issues.push({ code: 'custom', message: error instanceof Error ? error.message : 'invalid amount', input: value });
          return z.NEVER;
        }
      }),
    ),
  ),
});

const ListSchema = z.lazy(() =>
  z.strictObject({ callers: z.array(entrySchema()).check(z.minLength(1, { error: 'must list at least one caller' })) }),
);

/** The list is malformed; the message names the entry (index and name) and the field. */
export class CallersListError extends ConfigurationError {
  static override readonly name: string = 'CallersListError';
  constructor(message: string) {
    super(message);
    this.name = CallersListError.name;
  }
}

/**
 * Parses a callers list (the JSON value, not text); `source` names where it came from in errors.
 * @throws CallersListError naming `callers[1] "canteen".max_tranamt` and what is wrong with it.
 */
export function parseCallersList(value: unknown, source: string): readonly CallerEntry[] {
  const parsed = z.safeParse(ListSchema, value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CallersListError(`${source}: ${describePath(value, issue?.path ?? [])}: ${issue?.message ?? 'invalid'}`);
  }
  const entries = parsed.data.callers.map(
    (entry): CallerEntry => ({
      name: entry.name,
      principals: entry.principals,
      routes: entry.routes,
      mercacc: entry.mercacc,
      ...(entry.max_tranamt !== undefined ? { maxTranamtFen: entry.max_tranamt } : {}),
    }),
  );
  const names = new Map<string, number>();
  const principals = new Map<string, string>();
  entries.forEach((entry, index) => {
    const earlier = names.get(entry.name);
    if (earlier !== undefined) throw new CallersListError(`${source}: callers[${index}] "${entry.name}".name: repeats callers[${earlier}]`);
    names.set(entry.name, index);
    for (const principal of entry.principals) {
      const key = principalKey(principal);
      const owner = key && principals.get(key);
      if (owner) throw new CallersListError(`${source}: callers[${index}] "${entry.name}".principals: ${principal} is already caller "${owner}"'s`);
      if (key) principals.set(key, entry.name);
    }
  });
  return entries;
}

/** Parses the JSON text of a list. @throws CallersListError (also for text that is not JSON). */
export function parseCallersText(text: string, source: string): readonly CallerEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new CallersListError(`${source}: is not valid JSON`);
  }
  return parseCallersList(value, source);
}

/**
 * The identity key of a role or user ARN: account, kind and name (IAM names are unique per account
 * whatever the path, and an assumed-role session names its role without the path). Undefined: not one.
 */
export function principalKey(arn: string): string | undefined {
  const match = PRINCIPAL_PATTERN.exec(arn);
  if (!match) return undefined;
  const account = arn.split(':')[4] ?? '';
  const name = (match[2] ?? '').split('/').at(-1) ?? '';
  return `${account}:${match[1]}/${name}`;
}

/** `callers[1] "canteen".max_tranamt` for an issue path. */
function describePath(value: unknown, path: readonly PropertyKey[]): string {
  if (path[0] !== 'callers' || typeof path[1] !== 'number') return path.length > 0 ? path.map(String).join('.') : 'the list';
  const index = path[1];
  const raw = (value as { callers?: unknown[] }).callers?.[index] as { name?: unknown } | undefined;
  const name = typeof raw?.name === 'string' && raw.name.length <= 64 ? ` "${raw.name}"` : '';
  const field = path.slice(2).map(String).join('.');
  return `callers[${index}]${name}${field ? `.${field}` : ''}`;
}
