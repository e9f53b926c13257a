// The AWS SDK's Node-version notice is silenced in tests (test/vitest.config.ts) and in npm start
// (lib/local/main.ts) by its own environment variable: prove that variable is still the switch, and
// that it silences only that notice.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const VARIABLE = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
const SCRIPT = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
new DynamoDBClient({ region: 'ap-east-1' });
process.emitWarning('another warning', 'OtherWarning');
`;

function stderrOf(env: Record<string, string>): string {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    env: { PATH: process.env.PATH ?? '', AWS_EC2_METADATA_DISABLED: 'true', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stderr;
}

describe("the AWS SDK's NodeVersionSupportWarning", () => {
  it('is off in the test workers', () => {
    expect(process.env[VARIABLE]).toBe('true');
  });

  it(`is silenced by ${VARIABLE}=true, and no other warning is`, () => {
    const quiet = stderrOf({ [VARIABLE]: 'true' });
    expect(quiet).not.toContain('NodeVersionSupportWarning');
    expect(quiet).toContain('OtherWarning: another warning');
  });

  // One test on every Node (CI runs the suite on 20 and 24): the SDK warns below 22 only.
  const major = Number(process.versions.node.split('.')[0]);
  it(`is ${major < 22 ? 'printed' : 'not printed'} without it on Node ${major} (the SDK warns below 22 only)`, () => {
    const stderr = stderrOf({});
    if (major < 22) expect(stderr).toContain('NodeVersionSupportWarning');
    else expect(stderr).not.toContain('NodeVersionSupportWarning');
    expect(stderr).toContain('OtherWarning: another warning');
  });
});
