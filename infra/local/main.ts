/**
 * `npm start`: the Cassini control plane on this machine. Settings come from the
 * environment: PORT (8080), DATA_DIR (.data), ADMIN_TOKEN (the admin token on first start),
 * SSH_PORT (2222; the SSH endpoint into workspaces, `off` for none), RATE_LIMIT_PER_SECOND (100 requests per second per caller), FAILED_LOGINS_PER_MINUTE (10 per
 * client address, and as many at once; failed-logins.ts), as root the id ranges tasks run
 * under (task-sandbox-settings.ts: CASSINI_TASK_UIDS, CASSINI_FOLDER_GIDS), each task's log cap
 * (CASSINI_TASK_LOG_MAX_MB, 10), the timings of deployments
 * and workspaces (service-settings.ts: CASSINI_HEALTH_GRACE_SECONDS, CASSINI_AUTO_SHUTOFF_SCALE, ...), and
 * usage prices and limit timings (limit-settings.ts: CASSINI_PRICES, CASSINI_LIMIT_HOUR_SECONDS, ...).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startLocalPlatform } from './local-platform.ts';
import { adminTokenPath, readAdminToken, writeAdminToken } from './admin-token-file.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { serviceSettingsFromEnv } from './service-settings.ts';
import { taskLogMaxBytesFromEnvironment } from './process-driver/task-log-cap.ts';
import { HOST_KEY_FILE } from './ssh/ssh-host-key.ts';
import { limitSettingsFromEnv } from './limit-settings.ts';
import { organizationFromSetting } from '../../shared/domain/identity/organization.ts';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console/console-build.ts';
import { DEFAULT_WRITE_BEHIND_MS } from '../../shared/adapters/dynamodb/write-behind-items.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  const port = Number(process.env.PORT ?? 8080);
  const sshPort = sshPortFromEnv(process.env.SSH_PORT);
  const rate = Number(process.env.RATE_LIMIT_PER_SECOND ?? 100);
  const failedLoginsPerMinute = Number(process.env.FAILED_LOGINS_PER_MINUTE ?? 10);
  if (!(failedLoginsPerMinute >= 1)) throw new Error(`FAILED_LOGINS_PER_MINUTE must be a number of at least 1 (got "${process.env.FAILED_LOGINS_PER_MINUTE}").`);
  const viewWriteBehindMs = Number(process.env.VIEW_WRITE_BEHIND_MS ?? DEFAULT_WRITE_BEHIND_MS);
  if (!Number.isInteger(viewWriteBehindMs) || viewWriteBehindMs < 0) throw new Error(`VIEW_WRITE_BEHIND_MS must be a whole number of milliseconds, 0 or more (got "${process.env.VIEW_WRITE_BEHIND_MS}").`);
  const services = serviceSettingsFromEnv(process.env);
  const taskLogMaxBytes = taskLogMaxBytesFromEnvironment(process.env);
  const usage = limitSettingsFromEnv(process.env);
  const organization = organizationFromSetting(process.env.CASSINI_ORG_NAME, 'CASSINI_ORG_NAME');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = lockDataDir(dataDir, 'npm start');
  // The API answers at once; the console's page follows when its build (only after a change) is done.
  let consoleBuilding = true;

  // The admin exists before the API answers anything, so its token works from the first request.
  const bootstrapAdmin = async (services: { identity: { bootstrapAdmin(token?: string): Promise<string> } }) => {
    if (readAdminToken(dataDir) !== undefined) return;
    const token = await services.identity.bootstrapAdmin(process.env.ADMIN_TOKEN || undefined);
    writeAdminToken(dataDir, token);
    console.log(`Created the admin user. Its token (also in ${adminTokenPath(dataDir)}, mode 0600):\n\n  ${token}\n`);
  };
  const platform = await startLocalPlatform({
    dataDir,
    port,
    rateLimit: { ratePerSecond: rate, burst: rate * 2 },
    failedLogins: { ratePerSecond: failedLoginsPerMinute / 60, burst: failedLoginsPerMinute },
    services,
    taskLogMaxBytes,
    viewWriteBehindMs,
    ...(sshPort === undefined ? {} : { sshPort }),
    usage,
    organization,
    prepare: bootstrapAdmin,
    console: { distDir: CONSOLE_DIST, building: () => consoleBuilding },
  }).catch((error) => {
    lock.release();
    throw error;
  });
  console.log(platform.isolationNotice);
  console.log(platform.catchUp.scanned ? `Caught up by reading the whole event history (${platform.catchUp.streams} streams).` : `Caught up on ${platform.catchUp.streams} streams written since the last complete delivery.`);
  if (platform.ssh) {
    console.log(`SSH into workspaces with start_ssh: ssh -p ${platform.ssh.port} <workspace>.<owner>@localhost — host key ${platform.ssh.fingerprint} (${HOST_KEY_FILE} in the data directory)`);
  }
  void ensureConsoleBuilt()
    .then(() => console.log(`Console: ${platform.url}/ (sign in with the admin token)`))
    .catch((error) => console.error(`The console could not be built (the API works without it): ${error instanceof Error ? error.message : String(error)}`))
    .finally(() => (consoleBuilding = false));
  console.log(`Cassini ${platform.url} — data in ${dataDir}. Try: curl -H "Authorization: Bearer $(cat ${adminTokenPath(dataDir)})" ${platform.url}/api/user`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    await platform.close();
    lock.release();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** `SSH_PORT`: 2222 by default, `off` for no SSH endpoint. */
function sshPortFromEnv(value: string | undefined): number | undefined {
  if (value === 'off') return undefined;
  const port = Number(value ?? 2222);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`SSH_PORT must be a TCP port number or "off" (got "${value}").`);
  return port;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
