/**
 * The environment a local task sees: what its spec declares, what the platform promises every
 * task (HOME, HOST, PORT, PORT_<n>), and defaults for PATH, USER and LANG; nothing else. The control
 * plane's own environment holds its secrets (admin token, cloud credentials), so a task never
 * inherits it, just as a container on AWS never sees the service's.
 */

const LOOPBACK = '127.0.0.1';

// A PATH for a host that somehow has none, so `sh` still finds the usual tools.
const FALLBACK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface TaskEnvironmentInput {
  /** `spec.environment`, including what the platform adds there (SATURN_BASE_URL, SATURN_TOKEN). */
  declared: Record<string, string>;
  home: string;
  port: number;
  /** Container port → the host port given to the task as `PORT_<container port>`. */
  extraPorts: ReadonlyMap<number, number>;
  /** The control plane's PATH: tasks find the same tools the person who started it has. */
  hostPath: string | undefined;
}

export function taskEnvironment(input: TaskEnvironmentInput): Record<string, string> {
  // HOST: where to listen. Only the proxy, which applies the routes' access rules, should reach a replica.
  const platform: Record<string, string> = { HOME: input.home, HOST: LOOPBACK, PORT: String(input.port) };
  for (const [containerPort, hostPort] of input.extraPorts) platform[`PORT_${containerPort}`] = String(hostPort);
  return {
    PATH: input.hostPath || FALLBACK_PATH,
    USER: 'jovyan',
    LANG: 'C.UTF-8',
    // The spec may change the defaults above; what the platform promises, it may not.
    ...input.declared,
    ...platform,
  };
}
