import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Three lanes. `unit`: pure and in-process tests (deciders, adapters against mocks or dynalite,
 * handlers, the proxy on loopback) — `npm run test:unit`, seconds. `stack`: the AWS stack's
 * template tests (test/infra/aws/*.test.ts), in-process but each synthesizing the CDK app.
 * `integration`: what starts the platform, real task processes or seconds of racing — the
 * acceptance suite, the local runtimes, the sidecar and SSH gateway bundles run as processes,
 * the property and race tests. `npm test` runs all three.
 */
const STACK = ['test/infra/aws/*.test.ts'];
const INTEGRATION = [
  'test/acceptance/**/*.test.ts',
  'test/infra/aws/*/**/*.test.ts',
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
    // At least two workers, even on 2 cores (vitest's default there is one): integration files
    // spend most of their time waiting on the processes and servers they start, so a second
    // worker runs on the core the first leaves idle.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Hermetic: the machine's time zone and locale never change an outcome (the platform started
    // by acceptance tests inherits them too). Time-zone behaviour is tested with explicit zones.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', TZ: 'UTC', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
    // Two workers never share task uids (a task's end kills every process of its uid).
    setupFiles: ['test/support/worker-task-uids.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...STACK, ...INTEGRATION], isolate: false } },
      // Workers reused between files: aws-cdk-lib is loaded once per worker rather than once per
      // file, and a context's synthesis is shared by the files that read it (support/synth.ts).
      { extends: true, test: { name: 'stack', include: STACK, isolate: false } },
      { extends: true, test: { name: 'integration', include: INTEGRATION } },
    ],
  },
});
