// The callers list at synth: context `callers` (inline JSON) or `callersFile`, validated with the
// functions' schema (errors name entry and field), handed to every function as ONECARD_CALLERS.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { MAX_CALLERS_JSON_BYTES } from '../../infra/callers.js';
import { readGatewaySettings } from '../../infra/config.js';
import { synthGateway } from './synth.js';

const LIST = {
  callers: [
    { name: 'canteen', principals: ['arn:aws:iam::111122223333:role/canteen-app'], routes: ['payments.create', 'payments.read'], mercacc: ['1001'], max_tranamt: '500.00' },
    { name: 'finance', principals: ['arn:aws:iam::444455556666:role/ops/finance'], routes: ['bills.read'], mercacc: '*' },
  ],
};
const dir = mkdtempSync(path.join(tmpdir(), 'onecard-callers-ctx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The template of a synth (its assembly removed at once). */
const synthesized = (context: Record<string, unknown>): Record<string, unknown> => {
  const result = synthGateway({ bundle: false, context });
  rmSync(result.assemblyDir, { recursive: true, force: true });
  return result.json;
};
/** Reads the settings as synth does, in an App whose outdir is ours (so nothing is left behind). */
const settingsOf = (context: Record<string, unknown>) => readGatewaySettings(new App({ outdir: path.join(dir, 'out'), context }).node);

const functionEnvironments = (json: Record<string, unknown>): Record<string, unknown>[] =>
  Object.values(json.Resources as Record<string, { Type: string; Properties: { Environment?: { Variables: Record<string, unknown> } } }>)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.Environment)
    .map((resource) => resource.Properties.Environment?.Variables ?? {});

describe('callers context', () => {
  it('inline JSON and a file give every function the same ONECARD_CALLERS', () => {
    const inline = functionEnvironments(synthesized({ callers: JSON.stringify(LIST) }));
    expect(inline.length).toBeGreaterThanOrEqual(6);
    for (const variables of inline) expect(JSON.parse(String(variables.ONECARD_CALLERS))).toEqual(LIST);
    const file = path.join(dir, 'callers.json');
    writeFileSync(file, JSON.stringify(LIST, null, 2));
    const fromFile = functionEnvironments(synthesized({ callersFile: file }));
    expect(fromFile.map((variables) => variables.ONECARD_CALLERS)).toEqual(inline.map((variables) => variables.ONECARD_CALLERS));
  });

  it('without a list no function gets ONECARD_CALLERS (one caller `default`)', () => {
    for (const variables of functionEnvironments(synthesized({}))) expect(variables).not.toHaveProperty('ONECARD_CALLERS');
  });

  it.each([
    [{ callers: [{ ...LIST.callers[0], routes: ['payments.pay'] }] }, 'context callers: callers[0] "canteen".routes.0: must be one of'],
    [{ callers: [LIST.callers[0], { ...LIST.callers[1], max_tranamt: '1.234' }] }, 'context callers: callers[1] "finance".max_tranamt'],
    [{ callers: [{ ...LIST.callers[0], principals: [] }] }, 'context callers: callers[0] "canteen".principals: a deployed caller needs at least one IAM principal'],
  ])('synth fails naming entry and field: %j', (list, message) => {
    expect(() => settingsOf({ callers: JSON.stringify(list) })).toThrow(message);
  });

  it('a list too large for the environment fails synth, as does a missing file or both keys', () => {
    const many = {
      callers: Array.from({ length: 40 }, (_, index) => ({ ...LIST.callers[0], name: `caller-${index}`, principals: [`arn:aws:iam::111122223333:role/app-${index}`] })),
    };
    expect(JSON.stringify(many).length).toBeGreaterThan(MAX_CALLERS_JSON_BYTES);
    expect(() => settingsOf({ callers: JSON.stringify(many) })).toThrow(`at most ${MAX_CALLERS_JSON_BYTES} fit`);
    expect(() => settingsOf({ callersFile: path.join(dir, 'absent.json') })).toThrow('cannot be read');
    expect(() => settingsOf({ callers: '{}', callersFile: 'x' })).toThrow('not both');
  });
});
