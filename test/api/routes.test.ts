// The route table and its matcher behave like API Gateway: literal segments win, 405 on a known
// path with another method, 404 otherwise.
import { describe, expect, it } from 'vitest';
import { matchRoute, ROUTES, routesOf } from '../../lib/api/routes.js';

describe('route table', () => {
  it('has every route of API.md once', () => {
    expect(ROUTES.map((route) => route.routeKey).sort()).toEqual(
      [
        'GET /v1/bills/{bill_date}',
        'GET /v1/bills/{bill_date}/merchants',
        'GET /v1/bills/{bill_date}/report.csv',
        'GET /v1/health',
        'HEAD /v1/health',
        'GET /v1/payments/{order_no}',
        'POST /v1/cards/query',
        'POST /v1/payments',
        'POST /v1/payments/query',
        'POST /v1/refunds',
        'GET /v1/reconciliation/exceptions',
        'POST /v1/reconciliation/exceptions/{id}/acknowledge',
      ].sort(),
    );
    expect(routesOf('pay-query').map((route) => route.routeKey).sort()).toEqual(['GET /v1/payments/{order_no}', 'POST /v1/payments/query']);
    for (const route of ROUTES) if (route.method === 'POST') expect(route.body).toBeDefined();
  });
});

describe('matchRoute', () => {
  it('finds routes and path parameters', () => {
    const match = matchRoute('GET', '/v1/payments/P-1');
    expect(match.kind).toBe('found');
    if (match.kind === 'found') {
      expect(match.route.routeKey).toBe('GET /v1/payments/{order_no}');
      expect(match.pathParameters).toEqual({ order_no: 'P-1' });
    }
  });

  it('prefers the literal /v1/payments/query over {order_no}', () => {
    const post = matchRoute('POST', '/v1/payments/query');
    expect(post.kind === 'found' && post.route.routeKey).toBe('POST /v1/payments/query');
    expect(matchRoute('GET', '/v1/payments/query')).toEqual({ kind: 'method-not-allowed', allowed: ['POST'] });
  });

  it('answers HEAD on the health route (monitors probe with it), and names it among the allowed methods', () => {
    const head = matchRoute('HEAD', '/v1/health');
    expect(head.kind === 'found' && head.route.functionName).toBeNull();
    expect(matchRoute('POST', '/v1/health')).toEqual({ kind: 'method-not-allowed', allowed: ['GET', 'HEAD'] });
    expect(matchRoute('HEAD', '/v1/payments/P-1')).toEqual({ kind: 'method-not-allowed', allowed: ['GET'] });
  });

  it('405 and 404', () => {
    expect(matchRoute('DELETE', '/v1/payments')).toEqual({ kind: 'method-not-allowed', allowed: ['POST'] });
    expect(matchRoute('GET', '/v1/payments/')).toEqual({ kind: 'not-found' });
    expect(matchRoute('GET', '/v1/nothing')).toEqual({ kind: 'not-found' });
    expect(matchRoute('GET', '/v1/bills/20260101/extra')).toEqual({ kind: 'not-found' });
    expect(matchRoute('post', '/v1/refunds').kind).toBe('found');
  });
});
