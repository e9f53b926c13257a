// The bill bucket and the per-download reports (issue 11): the reports of downloads that were not final (always
// superseded) expire by lifecycle under the prefix lib/bills/keys.ts writes them to, final ones are kept for the
// finance term, and down-bill may delete only report objects (a report whose header was never published).
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadReportKey, PROVISIONAL_REPORTS_PREFIX } from '../../lib/bills/keys.js';
import { synthGateway, type SynthResult } from './synth.js';

interface Rule {
  readonly Id?: string;
  readonly Prefix?: string;
  readonly ExpirationInDays?: number;
  readonly Status?: string;
}
interface Statement {
  readonly Sid?: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Whether an object key falls under a lifecycle rule (no filter: every key). */
const covers = (rule: Rule, key: string): boolean => key.startsWith(rule.Prefix ?? '');

describe('the per-download reports in the bill bucket', () => {
  let synth: SynthResult;
  let rules: Rule[];
  beforeAll(() => {
    synth = synthGateway({ bundle: false });
    const buckets = Object.values(synth.json.Resources as Resources).filter(
      (resource) => resource.Type === 'AWS::S3::Bucket' && (resource.Properties.VersioningConfiguration as { Status?: string } | undefined)?.Status === 'Enabled',
    );
    expect(buckets).toHaveLength(1);
    rules = (buckets[0]!.Properties.LifecycleConfiguration as { Rules: Rule[] }).Rules;
  });
  afterAll(() => rmSync(synth.assemblyDir, { recursive: true, force: true }));

  it('a provisional report expires after 90 days; a final one is kept for the finance term only', () => {
    const provisional = downloadReportKey('20260512', 'ALL', 'lx1-abc', false);
    const final = downloadReportKey('20260512', 'ALL', 'lx1-abc', true);
    expect(provisional.startsWith(PROVISIONAL_REPORTS_PREFIX)).toBe(true);
    expect(final.startsWith(PROVISIONAL_REPORTS_PREFIX)).toBe(false);
    const expiry = (key: string) =>
      Math.min(...rules.filter((rule) => rule.Status === 'Enabled' && covers(rule, key) && rule.ExpirationInDays).map((rule) => rule.ExpirationInDays!));
    expect(rules.find((rule) => rule.Id === 'expire-provisional-reports')).toMatchObject({ Prefix: PROVISIONAL_REPORTS_PREFIX, ExpirationInDays: 90 });
    expect(expiry(provisional)).toBe(90);
    expect(expiry(final)).toBe(3650);
    // The pages and header of the same download are not provisional objects: only its report goes early.
    expect(expiry('downloads/2026/05/12/ALL/lx1-abc/rows/000000.json')).toBe(3650);
  });

  it('down-bill may delete report objects only, never a version', () => {
    const statements = Object.entries(synth.json.Resources as Resources)
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy')
      .flatMap(([logicalId, resource]) =>
        (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement.map((statement) => ({ logicalId, statement })),
      );
    const deleting = statements.filter(({ statement }) => [statement.Action].flat().some((action) => action.startsWith('s3:Delete')));
    expect(deleting).toHaveLength(1);
    expect(deleting[0]!.logicalId).toMatch(/DownBillFunctionRole/);
    expect([deleting[0]!.statement.Action].flat()).toEqual(['s3:DeleteObject']);
    const resources = JSON.stringify(deleting[0]!.statement.Resource);
    expect(resources).toContain('/downloads/*/report.csv');
    expect([deleting[0]!.statement.Resource].flat()).toHaveLength(1);
    // Both a final and a provisional report match the one pattern.
    for (const final of [true, false]) expect(downloadReportKey('20260512', 'ALL', 'id', final)).toMatch(/^downloads\/.*\/report\.csv$/);
  });
});
