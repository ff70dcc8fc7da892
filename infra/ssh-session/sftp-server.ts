/**
 * The SFTP subsystem of an SSH session, as a process of its own: the server spawns it as the
 * workspace's user (setpriv locally, like the workspace's own command; on AWS the agent already
 * is that user) with the SFTP stream on its stdin and stdout, so every file it touches is touched
 * with the workspace's rights and none of the server's. It speaks the protocol through ssh2's
 * SFTP server, which is written for an SSH channel: `stdioChannel` gives it the two calls of a
 * channel it makes.
 */
import { closeSync, constants, fstatSync, ftruncateSync, fchmodSync, futimesSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, realpathSync, renameSync, rmdirSync, statSync, symlinkSync, unlinkSync, writeSync, chmodSync, utimesSync, truncateSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
// ssh2 is CommonJS: Node's ESM loader gives its exports as the default only.
import ssh2 from 'ssh2';
// ssh2's SFTP class is internal (no types, not exported); it is the protocol implementation its
// own server uses. A static import (not createRequire) so that the agent's one-file bundle
// carries it too (types: ssh2-sftp-protocol.d.ts).
import sftpProtocol from 'ssh2/lib/protocol/SFTP.js';
import { SFTP_USER_VARIABLE } from './sftp-user.ts';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;
const { SFTP } = sftpProtocol;

interface Attrs {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: number;
  mtime?: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the internal class is untyped
type SftpServer = any;

function stdioChannel(): SftpServer {
  const client = {
    _protocol: {
      // OpenSSH's client sends its identification; ssh2 sizes packets by it.
      _remoteIdentRaw: 'SSH-2.0-OpenSSH_9',
      channelData: (_id: number, data: Buffer) => process.stdout.write(data),
      channelClose: () => process.exit(0),
    },
  };
  const window = { id: 0, window: Number.MAX_SAFE_INTEGER, packetSize: 256 * 1024, state: 'open' };
  return new SFTP(client, { type: 'sftp', incoming: { ...window }, outgoing: { ...window } }, { server: true });
}

function attrsOf(stats: Stats): Attrs {
  return { mode: stats.mode, uid: stats.uid, gid: stats.gid, size: stats.size, atime: Math.floor(stats.atimeMs / 1000), mtime: Math.floor(stats.mtimeMs / 1000) };
}

/** `ls -l`'s line, which OpenSSH's sftp prints for `ls -l`. */
function longname(name: string, stats: Stats): string {
  const kind = stats.isDirectory() ? 'd' : stats.isSymbolicLink() ? 'l' : '-';
  const bits = 'rwxrwxrwx'.split('').map((c, i) => (stats.mode & (0o400 >> i) ? c : '-')).join('');
  return `${kind}${bits} 1 ${stats.uid} ${stats.gid} ${stats.size} ${stats.mtime.toISOString().slice(0, 16).replace('T', ' ')} ${name}`;
}

function openFlags(flags: number): number {
  let mode = flags & OPEN_MODE.WRITE ? (flags & OPEN_MODE.READ ? constants.O_RDWR : constants.O_WRONLY) : constants.O_RDONLY;
  if (flags & OPEN_MODE.APPEND) mode |= constants.O_APPEND;
  if (flags & OPEN_MODE.CREAT) mode |= constants.O_CREAT;
  if (flags & OPEN_MODE.TRUNC) mode |= constants.O_TRUNC;
  if (flags & OPEN_MODE.EXCL) mode |= constants.O_EXCL;
  return mode;
}

function statusOf(error: unknown): number {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return STATUS_CODE.NO_SUCH_FILE;
  if (code === 'EACCES' || code === 'EPERM') return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

function serve(sftp: SftpServer): void {
  const files = new Map<number, number>();
  const dirs = new Map<number, { path: string; done: boolean }>();
  let nextHandle = 1;
  const handleOf = (buffer: Buffer) => (buffer.length === 4 ? buffer.readUInt32BE(0) : -1);
  const newHandle = () => {
    const handle = Buffer.alloc(4);
    handle.writeUInt32BE(nextHandle++);
    return handle;
  };
  const applyAttrs = (target: string | number, attrs: Attrs) => {
    if (attrs.mode !== undefined) {
      if (typeof target === 'number') fchmodSync(target, attrs.mode & 0o7777);
      else chmodSync(target, attrs.mode & 0o7777);
    }
    if (attrs.size !== undefined) {
      if (typeof target === 'number') ftruncateSync(target, attrs.size);
      else truncateSync(target, attrs.size);
    }
    if (attrs.atime !== undefined && attrs.mtime !== undefined) {
      if (typeof target === 'number') futimesSync(target, attrs.atime, attrs.mtime);
      else utimesSync(target, attrs.atime, attrs.mtime);
    }
  };
  /** Runs one request; any error answers with its status instead of ending the session. */
  const answer = (reqid: number, work: () => void) => {
    try {
      work();
    } catch (error) {
      sftp.status(reqid, statusOf(error));
    }
  };
  const ok = (reqid: number) => sftp.status(reqid, STATUS_CODE.OK);

  sftp.on('OPEN', (reqid: number, path: string, flags: number, attrs: Attrs) =>
    answer(reqid, () => {
      const fd = openSync(path, openFlags(flags), attrs.mode === undefined ? 0o644 : attrs.mode & 0o7777);
      const handle = newHandle();
      files.set(handleOf(handle), fd);
      sftp.handle(reqid, handle);
    }),
  );
  sftp.on('READ', (reqid: number, handle: Buffer, offset: number, length: number) =>
    answer(reqid, () => {
      const fd = files.get(handleOf(handle));
      if (fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
      const buffer = Buffer.alloc(length);
      const read = readSync(fd, buffer, 0, length, offset);
      if (read === 0) return sftp.status(reqid, STATUS_CODE.EOF);
      sftp.data(reqid, buffer.subarray(0, read));
    }),
  );
  sftp.on('WRITE', (reqid: number, handle: Buffer, offset: number, data: Buffer) =>
    answer(reqid, () => {
      const fd = files.get(handleOf(handle));
      if (fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
      writeSync(fd, data, 0, data.length, offset);
      ok(reqid);
    }),
  );
  sftp.on('CLOSE', (reqid: number, handle: Buffer) =>
    answer(reqid, () => {
      const id = handleOf(handle);
      const fd = files.get(id);
      if (fd !== undefined) closeSync(fd);
      files.delete(id);
      dirs.delete(id);
      ok(reqid);
    }),
  );
  sftp.on('FSTAT', (reqid: number, handle: Buffer) =>
    answer(reqid, () => {
      const fd = files.get(handleOf(handle));
      if (fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
      sftp.attrs(reqid, attrsOf(fstatSync(fd)));
    }),
  );
  sftp.on('FSETSTAT', (reqid: number, handle: Buffer, attrs: Attrs) =>
    answer(reqid, () => {
      const fd = files.get(handleOf(handle));
      if (fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
      applyAttrs(fd, attrs);
      ok(reqid);
    }),
  );
  sftp.on('SETSTAT', (reqid: number, path: string, attrs: Attrs) => answer(reqid, () => (applyAttrs(path, attrs), ok(reqid))));
  sftp.on('STAT', (reqid: number, path: string) => answer(reqid, () => sftp.attrs(reqid, attrsOf(statSync(path)))));
  sftp.on('LSTAT', (reqid: number, path: string) => answer(reqid, () => sftp.attrs(reqid, attrsOf(lstatSync(path)))));
  sftp.on('OPENDIR', (reqid: number, path: string) =>
    answer(reqid, () => {
      if (!statSync(path).isDirectory()) return sftp.status(reqid, STATUS_CODE.FAILURE, 'not a directory');
      const handle = newHandle();
      dirs.set(handleOf(handle), { path: resolve(path), done: false });
      sftp.handle(reqid, handle);
    }),
  );
  sftp.on('READDIR', (reqid: number, handle: Buffer) =>
    answer(reqid, () => {
      const dir = dirs.get(handleOf(handle));
      if (dir === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
      if (dir.done) return sftp.status(reqid, STATUS_CODE.EOF);
      dir.done = true;
      const names = ['.', '..', ...readdirSync(dir.path)].flatMap((filename) => {
        try {
          const stats = lstatSync(resolve(dir.path, filename));
          return [{ filename, longname: longname(filename, stats), attrs: attrsOf(stats) }];
        } catch {
          return [];
        }
      });
      sftp.name(reqid, names);
    }),
  );
  sftp.on('REALPATH', (reqid: number, path: string) => answer(reqid, () => sftp.name(reqid, [{ filename: realpathOrResolved(path), longname: '', attrs: {} }])));
  sftp.on('READLINK', (reqid: number, path: string) => answer(reqid, () => sftp.name(reqid, [{ filename: readlinkSync(path), longname: '', attrs: {} }])));
  sftp.on('SYMLINK', (reqid: number, linkPath: string, targetPath: string) => answer(reqid, () => (symlinkSync(targetPath, linkPath), ok(reqid))));
  sftp.on('REMOVE', (reqid: number, path: string) => answer(reqid, () => (unlinkSync(path), ok(reqid))));
  sftp.on('RMDIR', (reqid: number, path: string) => answer(reqid, () => (rmdirSync(path), ok(reqid))));
  sftp.on('MKDIR', (reqid: number, path: string, attrs: Attrs) => answer(reqid, () => (mkdirSync(path, { mode: attrs.mode === undefined ? 0o755 : attrs.mode & 0o7777 }), ok(reqid))));
  sftp.on('RENAME', (reqid: number, from: string, to: string) => answer(reqid, () => (renameSync(from, to), ok(reqid))));
}

/** A path that does not exist yet (an upload's target) still resolves, as OpenSSH's sftp-server does. */
function realpathOrResolved(path: string): string {
  try {
    return realpathSync(path || '.');
  } catch {
    return resolve(path || '.');
  }
}

/**
 * Becomes the task's user, when the control plane started this worker as itself (root) to load
 * its code: supplementary groups first, then the group, then the user, after which no way back
 * is left (a root process's setuid sets the real, effective and saved ids). It happens before a
 * byte of the client's is read; a failure ends the worker rather than serve as root.
 */
function becomeTaskUser(): void {
  const setting = process.env[SFTP_USER_VARIABLE];
  if (setting === undefined) return;
  delete process.env[SFTP_USER_VARIABLE];
  const user = JSON.parse(setting) as { uid: number; gid: number; groups: number[] };
  if (!Number.isInteger(user.uid) || user.uid <= 0 || !Number.isInteger(user.gid) || user.gid <= 0) throw new Error('refusing to serve SFTP as root');
  process.setgroups!(user.groups);
  process.setgid!(user.gid);
  process.setuid!(user.uid);
  if (process.getuid!() !== user.uid || process.geteuid!() !== user.uid || process.getegid!() !== user.gid) throw new Error('could not become the task\'s user');
}

/** Serves SFTP on this process's stdin and stdout until the stream ends; the worker's whole life. */
export function serveSftpOverStdio(): void {
  becomeTaskUser();
  const sftp = stdioChannel();
  serve(sftp);
  process.stdin.on('data', (chunk: Buffer) => sftp.push(chunk));
  process.stdin.on('end', () => process.exit(0));
}
