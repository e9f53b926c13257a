// The OpenAPI document and the API Gateway request models come from the validating schemas.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openApiDocument, requestModels } from '../../lib/api/openapi.js';
import { ROUTES } from '../../lib/api/routes.js';

type Json = Record<string, any>;

describe('openApiDocument', () => {
  const document = openApiDocument() as Json;

  it('is OpenAPI 3.1 with every route and the error object', () => {
    expect(document.openapi).toBe('3.1.0');
    for (const route of ROUTES) expect(document.paths[route.resource][route.method.toLowerCase()]).toBeDefined();
    expect(document.components.schemas.Error.properties.error.required).toEqual(['code', 'message', 'retryable']);
  });

  it('documents the spec limits on request bodies', () => {
    const pay = document.components.schemas.PayRequest;
    expect(pay.additionalProperties).toBe(false);
    expect(pay.properties.order_no).toMatchObject({ maxLength: 32, pattern: '^[A-Za-z0-9_-]{1,32}$' });
    expect(pay.properties.termid).toMatchObject({ minimum: 1, maximum: 9999 });
    expect(pay.required).toEqual(['order_no', 'account', 'tranamt', 'mercacc']);
    expect(document.components.schemas.QueryCardRequest.properties.idtype.enum).toEqual(['sno', 'id', 'phone', 'acc', 'cardid', 'barcode']);
    expect(document.components.schemas.QueryPaymentsRequest.properties.queries).toMatchObject({ minItems: 1, maxItems: 50 });
  });

  it('documents HEAD /v1/health as GET without a body', () => {
    const { get, head } = document.paths['/v1/health'];
    expect(get.responses['200'].content['application/json']).toBeDefined();
    expect(head.responses['200'].headers).toEqual(get.responses['200'].headers);
    expect(head.responses['200'].content).toBeUndefined();
  });

  it('documents statuses: 202 for orders, 503 with Retry-After, path and query parameters', () => {
    const pay = document.paths['/v1/payments'].post;
    expect(Object.keys(pay.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '409', '422', '502', '503', '504']));
    expect(pay.responses['503'].headers['retry-after']).toBeDefined();
    const bill = document.paths['/v1/bills/{bill_date}'].get;
    expect(bill.parameters.map((parameter: Json) => `${parameter.in}:${parameter.name}`)).toEqual([
      'path:bill_date',
      'query:bill_type',
      'query:crypt_type',
      'query:limit',
      'query:cursor',
      'header:x-request-id',
    ]);
  });
});

describe('caller refusals (API.md "Callers")', () => {
  const document = openApiDocument() as Json;
  const codesOf = (response: Json | undefined): string[] => [...String(response?.description ?? '').matchAll(/UNAUTHENTICATED|FORBIDDEN_ROUTE|FORBIDDEN_MERCHANT|AMOUNT_OVER_LIMIT/g)].map((match) => match[0]);

  it.each(ROUTES.map((route) => [route.routeKey, route] as const))('%s documents exactly the 401/403 codes that apply to it', (_key, route) => {
    const responses = document.paths[route.resource][route.method.toLowerCase()].responses as Json;
    if (route.access === null) {
      expect(responses['401']).toBeUndefined();
      expect(responses['403']).toBeUndefined();
      return;
    }
    expect(codesOf(responses['401'])).toEqual(['UNAUTHENTICATED']);
    const orders = route.access === 'payments.create' || route.access === 'refunds.create';
    expect(codesOf(responses['403'])).toEqual(orders ? ['FORBIDDEN_ROUTE', 'FORBIDDEN_MERCHANT', 'AMOUNT_OVER_LIMIT'] : ['FORBIDDEN_ROUTE']);
    for (const status of ['401', '403']) {
      expect(responses[status].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
      expect(responses[status].headers['x-request-id']).toBeDefined();
    }
  });
});

describe('requestModels', () => {
  it('one draft-4 schema per route with a body, keyed by route key', () => {
    const models = requestModels();
    expect(models.map((model) => model.routeKey).sort()).toEqual(
      ROUTES.filter((route) => route.body).map((route) => route.routeKey).sort(),
    );
    for (const { schema } of models) {
      expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
      expect(schema.additionalProperties).toBe(false);
      expect(JSON.stringify(schema)).not.toContain('$ref');
    }
  });
});

describe('npm run --silent openapi', () => {
  it('writes the document and nothing else to stdout, so `> openapi.json` is valid JSON', () => {
    // The CLI runs under tsx, whose compile cache goes to the temp directory: give it one of its own.
    const cacheDir = mkdtempSync(join(tmpdir(), 'onecard-openapi-cli-'));
    try {
      const result = spawnSync('npm', ['run', '--silent', 'openapi'], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: { ...process.env, TMPDIR: cacheDir, TMP: cacheDir, TEMP: cacheDir },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(openApiDocument());
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
