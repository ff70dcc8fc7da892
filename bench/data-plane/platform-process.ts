/**
 * `npm start` as the data-plane bench runs it: the real entry point in a child process of its
 * own (so the load generator never shares its event loop), on a free port, with a data
 * directory the bench chooses and rate limiting out of the way (the bench measures the path,
 * not the limiter). Ready is when `GET /api/status` stops answering 503.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../infra/local/process-driver/free-port.ts';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const READY_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 45_000;
/** Far above anything one load generator sends: the limiter stays in the path but never refuses. */
const UNLIMITED_RATE = '100000000';

/**
 * Task uids of a block of the default range's upper half, chosen at random. Every platform
 * takes the first free uid of its range, and sweeps every process of a task's uid when the task
 * ends: a test's platform on the same machine (task-sandbox-settings.ts' default range) would
 * otherwise be given the bench replica's uid and kill it mid-measurement (seen as the replica
 * "killed by SIGKILL", then every proxied answer a 503).
 */
function benchTaskUids(): string {
  const first = 1_000_500_000 + randomInt(0, 49) * 10_000;
  return `${first}-${first + 9_999}`;
}

export interface PlatformProcess {
  url: string;
  port: number;
  /** From spawning the process to the first `GET /api/status` that is not 503. */
  readyMs: number;
  stop(): Promise<void>;
  /** SIGKILL: a crash, leaving whatever it was doing undone. */
  kill(): Promise<void>;
}

async function statusIsUp(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/status`);
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

export async function startPlatformProcess(options: { dataDir: string; adminToken: string; env?: Record<string, string> }): Promise<PlatformProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: options.dataDir,
      ADMIN_TOKEN: options.adminToken,
      RATE_LIMIT_PER_SECOND: UNLIMITED_RATE,
      // No SSH endpoint: its default port (2222) is taken whenever another `npm start` runs on the machine.
      SSH_PORT: 'off',
      CASSINI_TASK_UIDS: process.env.CASSINI_TASK_UIDS ?? benchTaskUids(),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = once(child, 'exit');
  let readyMs: number | undefined;
  while (readyMs === undefined) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}: ${stderr}`);
    if (performance.now() - started > READY_TIMEOUT_MS) {
      child.kill('SIGKILL');
      throw new Error(`npm start was not ready in ${READY_TIMEOUT_MS / 1000} s: ${stderr}`);
    }
    if (await statusIsUp(url)) readyMs = performance.now() - started;
    else await new Promise((done) => setTimeout(done, 5));
  }
  return {
    url,
    port,
    readyMs,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A `node -e` program on a free port (`PORT`), up once it accepts a request. */
export async function startNodeProgram(source: string, env: Record<string, string> = {}): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', source], { env: { ...process.env, ...env, PORT: String(port) }, stdio: 'ignore' });
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`a bench program exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      break;
    } catch {
      await new Promise((done) => setTimeout(done, 5));
    }
  }
  return {
    url,
    port,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
