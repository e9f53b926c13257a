// What a deployed caller gets for a path or method the API does not define (API.md: 404 / 405 locally). API Gateway
// answers it with MISSING_AUTHENTICATION_TOKEN, as it answers an unsigned request to a real route: 403 with both causes.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_ROUTE_OR_UNSIGNED } from '../../infra/constructs/gateway-api.js';
import { ROUTES } from '../../lib/api/routes.js';
import { synthGateway, type SynthResult } from './synth.js';

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

describe('a method or path the deployed API does not define', () => {
  let synth: SynthResult;
  let resources: Resource[];
  beforeAll(() => {
    synth = synthGateway({ bundle: false });
    resources = Object.values(synth.json.Resources as Record<string, Resource>);
  });
  afterAll(() => rmSync(synth.assemblyDir, { recursive: true, force: true }));

  it('is answered by API Gateway itself: no ANY method and no {proxy+} resource catches it', () => {
    const methods = resources.filter((resource) => resource.Type === 'AWS::ApiGateway::Method');
    expect(methods.map((method) => method.Properties.HttpMethod).sort()).toEqual(ROUTES.map((route) => route.method).sort());
    const parts = resources.filter((resource) => resource.Type === 'AWS::ApiGateway::Resource').map((resource) => String(resource.Properties.PathPart));
    expect(parts.filter((part) => part.endsWith('+}'))).toEqual([]);
  });

  it("answers 403 MISSING_AUTHENTICATION_TOKEN in the API's error shape, naming both causes (never a 404 an unsigned caller would misread)", () => {
    const responses = resources.filter(
      (resource) => resource.Type === 'AWS::ApiGateway::GatewayResponse' && resource.Properties.ResponseType === 'MISSING_AUTHENTICATION_TOKEN',
    );
    expect(responses).toHaveLength(1);
    const properties = responses[0]?.Properties as { StatusCode: string; ResponseTemplates: Record<string, string> };
    expect(properties.StatusCode).toBe('403');
    const body = JSON.parse((properties.ResponseTemplates['application/json'] ?? '').replaceAll('$context.requestId', 'c0ffee-1')) as unknown;
    expect(body).toEqual({
      error: { code: 'MISSING_AUTHENTICATION_TOKEN', message: NO_ROUTE_OR_UNSIGNED, retryable: false },
      request_id: 'c0ffee-1',
    });
    expect(NO_ROUTE_OR_UNSIGNED).toMatch(/unknown path/);
    expect(NO_ROUTE_OR_UNSIGNED).toMatch(/method the path does not serve/);
    expect(NO_ROUTE_OR_UNSIGNED).toMatch(/not signed with SigV4/);
    expect(NO_ROUTE_OR_UNSIGNED).toMatch(/^[\x20-\x7e]+$/);
    expect(NO_ROUTE_OR_UNSIGNED).not.toMatch(/["\\$#]/);
  });
});
