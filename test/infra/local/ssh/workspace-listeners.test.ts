import { describe, expect, it } from 'vitest';
import { isLoopbackTarget, workspaceListensOn } from '../../../../infra/local/ssh/workspace-listeners.ts';

// /proc/net/tcp as the kernel writes it: 127.0.0.1:8888 by uid 1000000001, 127.0.0.1:8080 by root, 0.0.0.0:9999 by uid 1000000001.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:22B8 00000000:0000 0A 00000000:00000000 00:00000000 00000000 1000000001 0 11 1 0 100 0 0 10 0
   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12 1 0 100 0 0 10 0
   2: 00000000:270F 00000000:0000 0A 00000000:00000000 00:00000000 00000000 1000000001 0 13 1 0 100 0 0 10 0
`;
const read = (path: string) => (path === '/proc/net/tcp' ? TCP : '');

describe('what ssh -L may reach from a local workspace', () => {
  it("is a loopback listener of the workspace's own uid, not the control plane's, not one on another address", () => {
    const workspace = { uid: 1_000_000_001 };
    expect(workspaceListensOn(8888, workspace, read)).toBe(true);
    expect(workspaceListensOn(8080, workspace, read)).toBe(false);
    expect(workspaceListensOn(9999, workspace, read)).toBe(false);
    expect(workspaceListensOn(8888, { uid: 1_000_000_002 }, read)).toBe(false);
  });

  it('names loopback hosts only', () => {
    expect(['localhost', '127.0.0.1', '::1'].every(isLoopbackTarget)).toBe(true);
    expect(['10.0.0.1', '0.0.0.0', 'example.com', 'localhost.example.com'].some(isLoopbackTarget)).toBe(false);
  });
});
