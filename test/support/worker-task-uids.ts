/**
 * Each vitest worker's sandboxed tasks run under uids of their own. When a task ends, every
 * process of its uid is killed (task-sandbox.ts), and each platform or driver takes the first free
 * uid of its range: two of them started side by side by two workers, with one range, would kill
 * each other's tasks. Platforms read the range from the environment (CASSINI_TASK_UIDS), as do
 * the tests that build a sandbox themselves (`taskSandboxFromEnvironment(process.env)`).
 */
import { DEFAULT_TASK_UIDS } from '../../infra/local/process-driver/task-sandbox-settings.ts';

const UIDS_PER_WORKER = 10_000;
const worker = Number(process.env.VITEST_POOL_ID ?? '1');
const first = DEFAULT_TASK_UIDS.first + worker * UIDS_PER_WORKER;
process.env.CASSINI_TASK_UIDS = `${first}-${first + UIDS_PER_WORKER - 1}`;
