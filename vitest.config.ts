import { defineConfig } from 'vitest/config';

/**
 * Two lanes. `unit`: pure and in-process tests (deciders, adapters against mocks or dynalite,
 * handlers, the proxy on loopback) — `npm run test:unit`, seconds. `integration`: what starts
 * the platform, real task processes, a CDK synth or seconds of racing — the acceptance suite, the local runtimes,
 * the stack's template and bundles, the property and race tests. `npm test` runs both.
 */
const INTEGRATION = [
  'test/acceptance/**/*.test.ts',
  'test/infra/aws/**/*.test.ts',
  'test/infra/local/dask/**/*.test.ts',
  'test/infra/local/process-driver/local-process-driver.test.ts',
  'test/infra/local/process-driver/task-attachments.test.ts',
  'test/infra/local/services/local-service-runtime.test.ts',
  'test/infra/local/ssh/local-ssh.test.ts',
  'test/infra/local/revocation.test.ts',
  'test/functions/api-property.test.ts',
  'test/app/subdomain-claims-races.test.ts',
  'test/console/**/*.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Hermetic: the machine's time zone and locale never change an outcome (the platform started
    // by acceptance tests inherits them too). Time-zone behaviour is tested with explicit zones.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', TZ: 'UTC', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: INTEGRATION, isolate: false } },
      { extends: true, test: { name: 'integration', include: INTEGRATION } },
    ],
  },
});
