// cdk.json takes every feature flag aws-cdk-lib recommends (what `cdk flags` lists), or this file says
// why not; an aws-cdk-lib upgrade that adds a flag fails here until someone decides on it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CDK_JSON_CONTEXT } from './synth.js';

const require = createRequire(import.meta.url);
const RECOMMENDED = JSON.parse(readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8')) as Record<string, unknown>;

/** Flags deliberately set against the recommendation, each with its reason. */
const NOT_FOLLOWED: Readonly<Record<string, { readonly value: unknown; readonly reason: string }>> = {
  '@aws-cdk/core:enableAdditionalMetadataCollection': {
    value: false,
    reason: 'would add which construct properties and methods the app uses to the deployed CDKMetadata; the project sends no more usage data than it must (CI also turns off CLI telemetry)',
  },
};

describe('cdk.json feature flags', () => {
  it('sets every recommended flag to its recommended value, or to the value NOT_FOLLOWED gives with a reason', () => {
    const expected = Object.fromEntries(
      Object.entries(RECOMMENDED).map(([flag, value]) => [flag, flag in NOT_FOLLOWED ? NOT_FOLLOWED[flag]!.value : value]),
    );
    const actual = Object.fromEntries(Object.keys(RECOMMENDED).map((flag) => [flag, CDK_JSON_CONTEXT[flag]]));
    expect(actual).toEqual(expected);
    for (const [flag, decision] of Object.entries(NOT_FOLLOWED)) {
      expect(RECOMMENDED, `${flag} is no longer a recommended flag`).toHaveProperty([flag]);
      expect(decision.reason.length).toBeGreaterThan(20);
    }
  });

  it('keeps the stack off the account-wide API Gateway CloudWatch role unless asked', () => {
    expect(CDK_JSON_CONTEXT['@aws-cdk/aws-apigateway:disableCloudWatchRole']).toBe(true);
    expect(CDK_JSON_CONTEXT).not.toHaveProperty('apiGatewayCloudWatchRole');
  });
});
