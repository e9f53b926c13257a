// The whole suite: `npm test`. Tests live under test/, mirroring lib/, functions/ and infra/.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    // Fails the run if any test leaves something in the run's own temporary directory.
    globalSetup: ['test/support/tmpdir-guard.ts'],
    // The AWS SDK's own opt-out of its Node-version notice, which every worker would print on Node 20
    // (README, Quick start); only that notice: other warnings still print.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
