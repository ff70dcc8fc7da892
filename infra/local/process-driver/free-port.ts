/**
 * A free TCP port on 127.0.0.1, as the kernel hands out for port 0. The probe closes before
 * the task binds the port, so another process could take it in between; the kernel walks
 * its ephemeral range rather than handing the same port straight back, which keeps that
 * window narrow, and `taken` keeps the driver from giving one port to two live tasks.
 */
import { createServer } from 'node:net';

const ATTEMPTS = 20;

export async function freePort(taken: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = await portFromKernel();
    if (!taken.has(port)) return port;
  }
  throw new Error(`found no free TCP port on 127.0.0.1 in ${ATTEMPTS} attempts`);
}

function portFromKernel(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('the kernel gave no port for a listen on port 0'))));
    });
  });
}
