// The daily bill run against BILL_FINAL_AFTER (API.md "Bills", Finality): context billFinalAfter reaches the bill
// function, and synth refuses a daily run at or before it, whose bill would never be final (so no exception opened).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { ContextError, readGatewaySettings } from '../../infra/config.js';
import { HANDLERS } from '../../infra/constructs/handlers.js';
import { isFinalDownload } from '../../lib/bills/finality.js';
import { loadConfig } from '../../lib/config.js';
import { synthGateway } from './synth.js';

interface FunctionResource {
  readonly Type: string;
  readonly Properties: { readonly Description?: string; readonly Environment: { readonly Variables: Record<string, unknown> } };
}
interface ScheduleResource {
  readonly Type: string;
  readonly Properties: { readonly Description?: string; readonly ScheduleExpression: string };
}

const DOWN_BILL = HANDLERS.find((spec) => spec.name === 'down-bill');

/** Each function's environment and the daily bill schedule's expression, synthesized with this context. */
function synthesized(context: Record<string, unknown>): { environments: Map<string, Record<string, unknown>>; dailyBill: string } {
  const synth = synthGateway({ bundle: false, context });
  try {
    const resources = Object.values(synth.json.Resources as Record<string, { Type: string }>);
    const functions = resources.filter((resource): resource is FunctionResource => resource.Type === 'AWS::Lambda::Function');
    const environments = new Map(functions.map((fn) => [fn.Properties.Description ?? '', fn.Properties.Environment.Variables]));
    const schedule = resources
      .filter((resource): resource is ScheduleResource => resource.Type === 'AWS::Scheduler::Schedule')
      .find((resource) => resource.Properties.Description?.includes("previous China day's bill"));
    expect(schedule, 'the daily bill schedule').toBeDefined();
    return { environments, dailyBill: schedule?.Properties.ScheduleExpression ?? '' };
  } finally {
    rmSync(synth.assemblyDir, { recursive: true, force: true });
  }
}

/** The configuration the deployed function loads from its (string) environment. */
const configOf = (variables: Record<string, unknown>) =>
  loadConfig(Object.fromEntries(Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string')));

describe('BILL_FINAL_AFTER and the daily bill run', () => {
  it('sets BILL_FINAL_AFTER on the bill function only, 03:00 by default, and the default run downloads a final bill', () => {
    const { environments, dailyBill } = synthesized({});
    for (const [description, variables] of environments) {
      expect(variables.BILL_FINAL_AFTER, description).toBe(description === DOWN_BILL?.description ? '03:00' : undefined);
    }
    const finalAfter = configOf(environments.get(DOWN_BILL?.description ?? '') ?? {}).billFinalAfterMinutes;
    expect(finalAfter).toBe(180);
    expect(dailyBill).toBe('cron(30 3 * * ? *)');
    // The run of 2026-12-02 03:30 China (19:30 UTC the day before) downloads 20261201: final.
    expect(isFinalDownload('20261201', new Date('2026-12-01T19:30:00Z'), finalAfter)).toBe(true);
  });

  it('passes context billFinalAfter to the bill function as the functions read it', () => {
    const { environments, dailyBill } = synthesized({ billFinalAfter: '05:00', dailyBillAt: '05:30' });
    const variables = environments.get(DOWN_BILL?.description ?? '') ?? {};
    expect(variables.BILL_FINAL_AFTER).toBe('05:00');
    expect(configOf(variables).billFinalAfterMinutes).toBe(300);
    expect(dailyBill).toBe('cron(30 5 * * ? *)');
  });

  it('refuses at synth a daily run before BILL_FINAL_AFTER (China time), naming both values', () => {
    // 02:30 China downloads the previous day's bill before the default 03:00: never final, no exception ever opened.
    expect(() => synthGateway({ bundle: false, context: { dailyBillAt: '02:30' } })).toThrow(ContextError);
    expect(() => synthGateway({ bundle: false, context: { dailyBillAt: '02:30' } })).toThrow(/dailyBillAt 02:30 is not after billFinalAfter 03:00/);
    expect(() => synthGateway({ bundle: false, context: { dailyBillAt: '04:15', billFinalAfter: '06:00' } })).toThrow(
      /dailyBillAt 04:15 is not after billFinalAfter 06:00/,
    );
  });

  describe('readGatewaySettings', () => {
    // An App without outdir makes a fresh cdk.outXXXX in the system temp directory; these never synthesize.
    const outdir = mkdtempSync(join(tmpdir(), 'onecard-finality-'));
    afterAll(() => rmSync(outdir, { recursive: true, force: true }));
    const settingsWith = (context: Record<string, unknown>) => readGatewaySettings(new App({ context, outdir }).node);

    it('refuses a daily run at BILL_FINAL_AFTER itself, and takes one a minute after', () => {
      expect(() => settingsWith({ dailyBillAt: '03:00' })).toThrow(/dailyBillAt 03:00 is not after billFinalAfter 03:00/);
      expect(settingsWith({ dailyBillAt: '03:01' }).dailyBillAt).toEqual({ hour: 3, minute: 1 });
      expect(settingsWith({ dailyBillAt: '02:30', billFinalAfter: '02:00' }).billFinalAfter).toBe('02:00');
    });

    it('validates billFinalAfter as lib/config.ts validates BILL_FINAL_AFTER (one parse, lib/bill-final-after.ts)', () => {
      for (const value of ['00:00', '02:59', '3:00', '24:00', '03:60', 'noon', '03:00:00']) {
        const functionsTakeIt = (() => {
          try {
            loadConfig({ BILL_FINAL_AFTER: value });
            return true;
          } catch {
            return false;
          }
        })();
        if (functionsTakeIt) expect(settingsWith({ billFinalAfter: value, dailyBillAt: '23:59' }).billFinalAfter, value).toBe(value);
        else expect(() => settingsWith({ billFinalAfter: value, dailyBillAt: '23:59' }), value).toThrow(/context billFinalAfter must be a China time of day HH:mm/);
      }
      expect(() => loadConfig({ BILL_FINAL_AFTER: '3:00' })).toThrow(/BILL_FINAL_AFTER/);
    });
  });
});
