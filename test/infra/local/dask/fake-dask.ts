/**
 * A stand-in `dask` executable for tests on machines without dask: a Node script put first on
 * PATH. Each process writes `<records>/<pid>.json` with its arguments and its `DASK_*` variables;
 * `dask scheduler` listens on --port and serves on --dashboard-address how many connections
 * (workers) it holds; `dask worker <address>` connects to the address it is given and stays
 * connected until it is killed. So a test sees the arguments, the ports and whether the workers
 * reached the scheduler.
 *
 * TLS as distributed does it: with `--protocol tls` the scheduler serves TLS only, with the
 * certificate, key and CA its `DASK_DISTRIBUTED__COMM__TLS__*` variables name, and requires a
 * client certificate from that CA; a worker given a `tls://` address connects with its own
 * variables' files, without a hostname check (distributed sets `check_hostname = False`), and
 * with `DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION=True` a worker refuses a `tcp://` address.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeDask {
  /** The directory to put first on PATH. */
  bin: string;
  records: string;
}

export interface DaskProcess {
  pid: number;
  args: string[];
  /** Its `DASK_*` variables. */
  env: Record<string, string>;
}

const SCRIPT = (records: string) => `#!${process.execPath}
const net = require('node:net');
const tls = require('node:tls');
const http = require('node:http');
const fs = require('node:fs');
const args = process.argv.slice(2);
const record = ${JSON.stringify(records)} + '/' + process.pid;
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('DASK_')));
fs.writeFileSync(record + '.tmp', JSON.stringify({ pid: process.pid, args, env }));
fs.renameSync(record + '.tmp', record + '.json');
console.log('fake dask ' + args.join(' '));
const option = (name) => args[args.indexOf(name) + 1];
const tlsFiles = (role) => ({
  ca: fs.readFileSync(env.DASK_DISTRIBUTED__COMM__TLS__CA_FILE),
  cert: fs.readFileSync(env['DASK_DISTRIBUTED__COMM__TLS__' + role + '__CERT']),
  key: fs.readFileSync(env['DASK_DISTRIBUTED__COMM__TLS__' + role + '__KEY']),
});
if (args[0] === 'scheduler') {
  let connections = 0;
  let refused = 0;
  const onConnection = (socket) => { connections++; socket.on('close', () => connections--); socket.on('error', () => {}); };
  const server = option('--protocol') === 'tls'
    ? tls.createServer({ ...tlsFiles('SCHEDULER'), requestCert: true, rejectUnauthorized: true }, onConnection).on('tlsClientError', () => refused++)
    : net.createServer(onConnection);
  server.listen(Number(option('--port')), option('--host') || '0.0.0.0');
  const dashboard = option('--dashboard-address');
  const port = Number(dashboard.slice(dashboard.lastIndexOf(':') + 1));
  http.createServer((req, res) => res.end(JSON.stringify({ workers: connections, refused }))).listen(port, '127.0.0.1');
} else if (args[0] === 'worker') {
  const address = args[1];
  const url = new URL(address.replace(/^(tcp|tls):/, 'http:'));
  if (address.startsWith('tcp://') && env.DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION === 'True') {
    console.error('encryption required by Dask configuration, refusing communication to ' + address);
    process.exit(5);
  }
  const socket = address.startsWith('tls://')
    ? tls.connect({ host: url.hostname, port: Number(url.port), ...tlsFiles('WORKER'), checkServerIdentity: () => undefined })
    : net.connect(Number(url.port), url.hostname);
  socket.on('error', (error) => { console.error(String(error)); process.exit(3); });
  socket.on('close', () => process.exit(4));
} else {
  process.exit(2);
}
`;

export function makeFakeDask(): FakeDask {
  const root = mkdtempSync(join(tmpdir(), 'fake-dask-'));
  const bin = join(root, 'bin');
  const records = join(root, 'records');
  mkdirSync(bin);
  mkdirSync(records);
  writeFileSync(join(bin, 'dask'), SCRIPT(records));
  chmodSync(join(bin, 'dask'), 0o755);
  // Run as root, the platform runs tasks as users of their own: they must reach the stand-in and record what they did.
  chmodSync(root, 0o755);
  chmodSync(bin, 0o755);
  chmodSync(records, 0o1777);
  return { bin, records };
}

/**
 * A directory holding only `commands` (links to where the shell finds them now), to stand as
 * the whole PATH of a test that must not find `dask`: the machine's own PATH may hold a real
 * one (Debian's python3-distributed puts `dask` in /usr/bin, beside the commands tasks need).
 */
export function pathWithOnly(commands: readonly string[]): string {
  const bin = mkdtempSync(join(tmpdir(), 'only-bin-'));
  for (const command of commands) {
    const found = execFileSync('/bin/sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
    symlinkSync(found, join(bin, command));
  }
  // Tasks of a root control plane run as users of their own: they must be able to search it.
  chmodSync(bin, 0o755);
  return bin;
}

export function daskProcesses(fake: FakeDask): DaskProcess[] {
  return readdirSync(fake.records).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(fake.records, f), 'utf8')) as DaskProcess);
}

/** Whether the process runs: exists and is not a zombie (an ended process nobody reaped, e.g. in a container whose PID 1 does not). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Workers connected to the fake scheduler, as its dashboard says. */
export async function connectedWorkers(dashboardUrl: string): Promise<number> {
  return (await schedulerCounts(dashboardUrl)).workers;
}

/** Connections the fake scheduler holds, and TLS handshakes it refused. */
export async function schedulerCounts(dashboardUrl: string): Promise<{ workers: number; refused: number }> {
  const response = await fetch(dashboardUrl);
  return (await response.json()) as { workers: number; refused: number };
}
