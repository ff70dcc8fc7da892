/**
 * Timings of deployments and workspaces in local mode, from the environment. The defaults
 * suit real use; tests and demos shorten them (an idle shutoff of an hour is a long wait).
 */
import type { LocalServiceRuntimeOptions } from './services/local-service-runtime.ts';

/** Environment variable → option, and what multiplies the variable into the option's unit. */
const SETTINGS = {
  CASSINI_HEALTH_GRACE_SECONDS: ['healthGraceMs', 1000],
  CASSINI_PROBE_INTERVAL_MS: ['probeIntervalMs', 1],
  CASSINI_RESTART_BACKOFF_MS: ['backoffBaseMs', 1],
  CASSINI_IDLE_CHECK_SECONDS: ['idleCheckIntervalMs', 1000],
  /** Multiplies every workspace's auto_shutoff: 0.001 turns "1 hour" into 3.6 s. */
  CASSINI_AUTO_SHUTOFF_SCALE: ['idleScale', 1],
  CASSINI_ACCESS_RECHECK_SECONDS: ['accessRecheckIntervalMs', 1000],
} as const satisfies Record<string, [keyof LocalServiceRuntimeOptions, number]>;

export const SERVICE_SETTING_NAMES = Object.keys(SETTINGS);

export function serviceSettingsFromEnv(env: NodeJS.ProcessEnv): LocalServiceRuntimeOptions {
  const options: LocalServiceRuntimeOptions = {};
  for (const [name, [option, unit]] of Object.entries(SETTINGS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(raw)}.`);
    options[option] = value * unit;
  }
  return options;
}
