// The callers list schema: a valid list parses (max_tranamt to fen), and every malformed entry is
// refused with the entry's index and name and the field in the message; principals match by identity.
import { describe, expect, it } from 'vitest';
import { createCallers, identityKey } from '../../lib/callers/registry.js';
import { CallersListError, parseCallersList, parseCallersText } from '../../lib/callers/schema.js';
import { ConfigurationError } from '../../lib/errors.js';

const canteen = {
  name: 'canteen',
  principals: ['arn:aws:iam::111122223333:role/canteen-app'],
  routes: ['cards.query', 'payments.create', 'payments.read', 'payments.query', 'refunds.create'],
  mercacc: ['1001', '1002'],
  max_tranamt: '500.00',
};
const finance = { name: 'finance', principals: ['arn:aws:iam::111122223333:role/ops/finance'], routes: ['payments.read', 'bills.read'], mercacc: '*' };

const refusal = (list: unknown): string => {
  try {
    parseCallersList(list, 'test');
  } catch (error) {
    expect(error).toBeInstanceOf(CallersListError);
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('the list was accepted');
};

describe('callers list schema', () => {
  it("parses API.md's example, max_tranamt into fen with the money module", () => {
    const entries = parseCallersList({ callers: [canteen, finance] }, 'test');
    expect(entries).toEqual([
      { name: 'canteen', principals: canteen.principals, routes: canteen.routes, mercacc: ['1001', '1002'], maxTranamtFen: 50_000 },
      { name: 'finance', principals: finance.principals, routes: finance.routes, mercacc: '*' },
    ]);
    expect(parseCallersList({ callers: [{ ...canteen, max_tranamt: '0.5' }] }, 't')[0]?.maxTranamtFen).toBe(50);
  });

  it.each([
    [{ ...finance, name: 'Finance' }, 'callers[1] "Finance".name: must be 1–32 characters of a-z, 0-9 and -'],
    [{ ...finance, name: 'x'.repeat(33) }, `callers[1] "${'x'.repeat(33)}".name: must be 1–32`],
    [{ ...finance, routes: ['bills.read', 'bills.write'] }, 'callers[1] "finance".routes.1: must be one of cards.query'],
    [{ ...finance, routes: [] }, 'callers[1] "finance".routes: must name at least one route'],
    [{ ...finance, routes: ['bills.read', 'bills.read'] }, 'callers[1] "finance".routes: must not repeat a route'],
    [{ ...finance, mercacc: ['10-1'] }, 'callers[1] "finance".mercacc'],
    [{ ...finance, mercacc: [] }, 'callers[1] "finance".mercacc'],
    [{ ...finance, max_tranamt: '12.345' }, 'callers[1] "finance".max_tranamt: '],
    [{ ...finance, max_tranamt: 500 }, 'callers[1] "finance".max_tranamt: must be a yuan string'],
    [{ ...finance, principals: ['arn:aws:sts::111122223333:assumed-role/finance/s1'] }, 'callers[1] "finance".principals.0: must be an IAM role or user ARN'],
    [{ ...finance, colour: 'red' }, 'callers[1] "finance"'],
    [{ ...finance, name: 'canteen' }, 'callers[1] "canteen".name: repeats callers[0]'],
    [{ ...finance, principals: ['arn:aws:iam::111122223333:role/other-path/canteen-app'] }, 'callers[1] "finance".principals: arn:aws:iam::111122223333:role/other-path/canteen-app is already caller "canteen"\'s'],
  ])('refuses %j naming entry and field', (second, message) => {
    expect(refusal({ callers: [canteen, second] })).toContain(`test: ${message}`);
  });

  it('refuses an empty list, a list that is not an object, and text that is not JSON', () => {
    expect(refusal({ callers: [] })).toContain('callers: must list at least one caller');
    expect(refusal([])).toContain('test: ');
    expect(() => parseCallersText('{"callers": [', 'ONECARD_CALLERS_FILE x.json')).toThrow('ONECARD_CALLERS_FILE x.json: is not valid JSON');
  });
});

describe('callers by identity', () => {
  const callers = createCallers(parseCallersList({ callers: [canteen, finance, { ...finance, name: 'clerk', principals: ['arn:aws:iam::444455556666:user/clerk'] }] }, 't'), false);

  it('an assumed-role session matches its role, with or without a path in the list', () => {
    expect(callers.byPrincipal('arn:aws:sts::111122223333:assumed-role/canteen-app/i-0abc')?.name).toBe('canteen');
    expect(callers.byPrincipal('arn:aws:iam::111122223333:role/canteen-app')?.name).toBe('canteen');
    expect(callers.byPrincipal('arn:aws:sts::111122223333:assumed-role/finance/lambda-session')?.name).toBe('finance');
    expect(callers.byPrincipal('arn:aws:iam::444455556666:user/clerk')?.name).toBe('clerk');
  });

  it('another account, another role or a malformed ARN matches nobody', () => {
    expect(callers.byPrincipal('arn:aws:sts::999922223333:assumed-role/canteen-app/s')).toBeUndefined();
    expect(callers.byPrincipal('arn:aws:sts::111122223333:assumed-role/canteen-app-2/s')).toBeUndefined();
    expect(callers.byPrincipal('arn:aws:iam::111122223333:user/canteen-app')).toBeUndefined();
    expect(callers.byPrincipal('canteen')).toBeUndefined();
    expect(identityKey('arn:aws:sts::111122223333:federated-user/x')).toBeUndefined();
  });

  it('without a list there is one caller with every route and every merchant: default deployed, local locally', () => {
    const deployed = createCallers(undefined, false);
    expect(deployed.byPrincipal('arn:aws:iam::1:role/anything')?.name).toBe('default');
    expect(deployed.defaultCaller?.mercacc).toBe('*');
    expect(deployed.defaultCaller?.routes.size).toBe(8);
    expect(createCallers(undefined, true).defaultCaller?.name).toBe('local');
  });
});
