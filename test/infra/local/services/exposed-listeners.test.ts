import { describe, expect, it } from 'vitest';
import { exposedListeners, isLoopback, listenersIn } from '../../../../infra/local/services/exposed-listeners.ts';

// As the kernel writes them: addresses in host byte order, ports in hex; 0A is LISTEN, 01 ESTABLISHED.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 00000000:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
   2: 0100A8C0:1F92 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0
   3: 0100007F:1F93 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0 100 0 0 10 0
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F94 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0 100 0 0 10 0
   1: 00000000000000000000000000000000:1F95 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6 1 0 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F96 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7 1 0 100 0 0 10 0
`;

describe('exposedListeners', () => {
  it('reads listening sockets of /proc/net/tcp and tcp6, addresses in host byte order, with their uid and inode', () => {
    expect(listenersIn(TCP, 4)).toEqual([
      { address: '127.0.0.1', port: 8080, uid: 0, inode: 1 },
      { address: '0.0.0.0', port: 8081, uid: 0, inode: 2 },
      { address: '192.168.0.1', port: 8082, uid: 0, inode: 3 },
    ]);
    expect(listenersIn(TCP6, 6)).toEqual([
      { address: '::1', port: 8084, uid: 0, inode: 5 },
      { address: '::', port: 8085, uid: 0, inode: 6 },
      { address: '::ffff:127.0.0.1', port: 8086, uid: 0, inode: 7 },
    ]);
  });

  it('names the replica ports listened on beyond loopback, and none that only loopback or other ports hold', () => {
    const read = (path: string) => (path.endsWith('6') ? TCP6 : TCP);
    expect(exposedListeners([8080, 8081, 8082, 8083, 8084, 8085, 8086], read)).toEqual(['0.0.0.0:8081', '192.168.0.1:8082', '[::]:8085']);
    expect(exposedListeners([8080, 8084, 8086], read)).toEqual([]);
    expect(['127.0.0.5', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
  });
});
