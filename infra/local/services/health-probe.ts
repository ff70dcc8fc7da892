/**
 * The health check an ALB target group makes, on one machine: GET the path on the replica's
 * $PORT; a status below 400 is healthy. A fresh connection each time (no keep-alive pool),
 * so a probe never rides a socket to a process that is gone.
 */
import { request } from 'node:http';

export interface ProbeResult {
  healthy: boolean;
  /** What was found, for a person: `HTTP 200`, `connection refused`, `no answer within 1000 ms`. */
  detail: string;
}

export function probeHealth(port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const probe = request(
      { host: '127.0.0.1', port, path, method: 'GET', agent: false, timeout: timeoutMs, headers: { 'user-agent': 'cassini-health-check' } },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        resolve({ healthy: status >= 200 && status < 400, detail: `HTTP ${status}` });
      },
    );
    probe.on('timeout', () => probe.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    probe.on('error', (error: NodeJS.ErrnoException) => resolve({ healthy: false, detail: describeError(error) }));
    probe.end();
  });
}

function describeError(error: NodeJS.ErrnoException): string {
  if (error.code === 'ECONNREFUSED') return 'connection refused';
  if (error.code === 'ECONNRESET') return 'connection reset';
  return error.message;
}
