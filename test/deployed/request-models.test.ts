// The request models API Gateway validates bodies with, taken from the synthesized template and run with
// a JSON Schema draft-04 validator (API Gateway's draft): every valid example passes, every invalid one is
// refused, by the model or, where draft-04 cannot say it, by the function's own schema (named below).
import { rmSync } from 'node:fs';
import AjvDraft04 from 'ajv-draft-04';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeOf, type RouteKey } from '../../lib/api/routes.js';
import * as z from '../../lib/protocol/zod.js';
import { REQUEST_EXAMPLES } from '../fixtures/request-examples.js';
import { synthGateway } from '../infra/synth.js';
import { apiMethodsOf, type ApiMethod, type CfnTemplate } from './template.js';

/** Invalid examples the model lets through on purpose, with why; the function's schema refuses them. */
const ZERO = 'the model\'s string pattern ^[0-9]{1,8}(\\.[0-9]{1,2})?$ has no "at least 0.01"; saying it needs a lookahead, which the model avoids';
const THREE_DECIMALS =
  'draft-04 can only say "at most two decimals" of a number with multipleOf 0.01, which binary floats break (10.5 / 0.01 is not an integer), so valid amounts would be refused';
/** zod counts UTF-16 units and JSON Schema code points: the model says 512 (never refusing 256 astral characters). */
const NOTE_CHARACTERS = 'the note\'s limit is 256 code points; the model\'s maxLength is the loose UTF-16 bound 512, the function counts code points';
const FUNCTION_ONLY: Readonly<Record<string, string>> = Object.fromEntries([
  ...['POST /v1/payments', 'POST /v1/refunds'].flatMap((key) => [
    [`${key}: tranamt "0"`, ZERO],
    [`${key}: tranamt "0.00"`, ZERO],
    [`${key}: tranamt 10.505`, THREE_DECIMALS],
  ]),
  ['POST /v1/reconciliation/exceptions/{id}/acknowledge: a note of 257 characters', NOTE_CHARACTERS],
]);

/** The package is CommonJS: its module.exports is the class, and `.default` too (TypeScript sees the latter). */
const Ajv = AjvDraft04.default;

/** Whether the function's own schema of `routeKey` accepts `body` (what its adapter validates with). */
const functionAccepts = (routeKey: string, body: unknown): boolean => {
  const schema = routeOf(routeKey as RouteKey).body;
  if (!schema) throw new Error(`${routeKey} has no body schema`);
  return z.safeParse(schema, body).success;
};

let methods: ApiMethod[] = [];
let assemblyDir: string | undefined;

beforeAll(() => {
  const synth = synthGateway({ bundle: false });
  assemblyDir = synth.assemblyDir;
  methods = apiMethodsOf(synth.json as unknown as CfnTemplate).filter((method) => method.requestModel !== undefined);
});
afterAll(() => {
  if (assemblyDir) rmSync(assemblyDir, { recursive: true, force: true });
});

const keyOf = (method: ApiMethod) => `${method.httpMethod} ${method.resourcePath}`;

function validator(method: ApiMethod) {
  const schema = method.requestModel?.schema as Record<string, unknown>;
  expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
  // strict: API Gateway ignores keywords it does not know rather than failing; formats are not used.
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

describe('API Gateway request models (draft-04) against the examples', () => {
  it('every route with a body has a model in the template, and examples here', () => {
    const keys = methods.map(keyOf).sort();
    expect(keys).toEqual(Object.keys(REQUEST_EXAMPLES).sort());
  });

  it('every valid example passes its model and the function\'s schema', () => {
    const refused = methods.flatMap((method) => {
      const validate = validator(method);
      return (REQUEST_EXAMPLES[keyOf(method)]?.valid ?? []).flatMap((example) => {
        const problems: string[] = [];
        if (!validate(example)) problems.push(`${keyOf(method)} model refuses ${JSON.stringify(example)}: ${JSON.stringify(validate.errors)}`);
        if (!functionAccepts(keyOf(method), example)) {
          problems.push(`${keyOf(method)} function schema refuses ${JSON.stringify(example)}`);
        }
        return problems;
      });
    });
    expect(refused).toEqual([]);
  });

  it('every invalid example is refused by its model (unless listed as the function\'s to refuse)', () => {
    const accepted = methods.flatMap((method) => {
      const validate = validator(method);
      return (REQUEST_EXAMPLES[keyOf(method)]?.invalid ?? [])
        .filter(([label, example]) => !FUNCTION_ONLY[`${keyOf(method)}: ${label}`] && validate(example))
        .map(([label]) => `${keyOf(method)}: ${label}`);
    });
    expect(accepted).toEqual([]);
  });

  it('what the model leaves to the function, the function\'s schema refuses (and the list is not stale)', () => {
    for (const entry of Object.keys(FUNCTION_ONLY)) {
      const [key, label] = entry.split(': ') as [string, string];
      const example = REQUEST_EXAMPLES[key]?.invalid.find(([each]) => each === label)?.[1];
      const method = methods.find((each) => keyOf(each) === key);
      expect(example !== undefined && method !== undefined, entry).toBe(true);
      expect(validator(method as ApiMethod)(example), `${entry}: the model refuses it now; drop it from FUNCTION_ONLY`).toBe(true);
      expect(functionAccepts(key, example), entry).toBe(false);
    }
  });
});
