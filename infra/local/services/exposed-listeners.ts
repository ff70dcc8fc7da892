/**
 * Whether a local replica can be reached without the proxy: a socket listening on one of its
 * ports at an address other than loopback (`0.0.0.0`, `::`, a LAN address). The kernel lists
 * every TCP socket of this network namespace in /proc/net/tcp and /proc/net/tcp6, whoever owns
 * it, so the supervisor sees this for tasks running as other users too. Linux only: elsewhere
 * nothing is found, and nothing is reported.
 */
import { readFileSync } from 'node:fs';

const LISTEN = '0A';

export interface Listener {
  address: string;
  port: number;
  /** The uid that opened the socket. */
  uid: number;
  /** The socket's inode: `/proc/<pid>/fd/<n>` of its holders links to `socket:[<inode>]`. */
  inode: number;
}

/** The listening sockets in the text of /proc/net/tcp (`family` 4) or /proc/net/tcp6 (6). Pure. */
export function listenersIn(table: string, family: 4 | 6): Listener[] {
  return table
    .split('\n')
    .slice(1)
    .flatMap((line) => {
      const [, local, , state, , , , uid, , inode] = line.trim().split(/\s+/);
      if (local === undefined || state !== LISTEN) return [];
      const [hexAddress, hexPort] = local.split(':');
      if (hexAddress === undefined || hexPort === undefined) return [];
      const address = family === 4 ? ipv4(hexAddress) : ipv6(hexAddress);
      return address === undefined ? [] : [{ address, port: parseInt(hexPort, 16), uid: Number(uid), inode: Number(inode) }];
    });
}

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/** `address:port` of each listener on one of `ports` that is not bound to loopback, e.g. `0.0.0.0:41234`. */
export function exposedListeners(ports: readonly number[], read: (path: string) => string = readProc): string[] {
  const wanted = new Set(ports);
  const listeners = [...listenersIn(read('/proc/net/tcp'), 4), ...listenersIn(read('/proc/net/tcp6'), 6)];
  const exposed = listeners.filter((listener) => wanted.has(listener.port) && !isLoopback(listener.address));
  return [...new Set(exposed.map(({ address, port }) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`)))].sort();
}

export function readProc(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The kernel writes an IPv4 address as one 32-bit word in host (little-endian) order. */
function ipv4(hex: string): string | undefined {
  if (!/^[0-9A-F]{8}$/i.test(hex)) return undefined;
  const bytes = [0, 2, 4, 6].map((at) => parseInt(hex.slice(at, at + 2), 16));
  return bytes.reverse().join('.');
}

/** Four 32-bit words, each in host order; a v4-mapped address is written the usual way. */
function ipv6(hex: string): string | undefined {
  if (!/^[0-9A-F]{32}$/i.test(hex)) return undefined;
  const bytes = [0, 8, 16, 24].flatMap((word) => [6, 4, 2, 0].map((at) => parseInt(hex.slice(word + at, word + at + 2), 16)));
  if (bytes.every((byte) => byte === 0)) return '::';
  if (bytes.slice(0, 15).every((byte) => byte === 0) && bytes[15] === 1) return '::1';
  if (bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups = [];
  for (let at = 0; at < 16; at += 2) groups.push(((bytes[at]! << 8) | bytes[at + 1]!).toString(16));
  return groups.join(':');
}
