/**
 * Who connected to the SSH gateway: the Network Load Balancer prefixes each connection with a
 * proxy protocol v2 header (infra/aws/constructs/ssh-gateway.ts enables it on the target group),
 * which carries the client's address and port. The gateway reads it before the SSH handshake
 * and records the address on the workspace (SshSessionStarted `from`).
 *
 * Format (HAProxy's PROXY protocol specification, version 2): a 12-byte signature; a byte of
 * version (high nibble, 2) and command (low nibble: 0 LOCAL, 1 PROXY); a byte of address family
 * and transport; a 16-bit big-endian length of what follows; the addresses and ports; then
 * optional TLVs (the load balancer adds some, e.g. a VPC endpoint id), skipped by the length.
 * A connection without a valid header did not come through the load balancer: it is refused.
 */

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const FIXED_LENGTH = 16;
const COMMAND_LOCAL = 0x20;
const COMMAND_PROXY = 0x21;
const TCP_OVER_IPV4 = 0x11;
const TCP_OVER_IPV6 = 0x21;
/** The longest header accepted: addresses plus TLVs the load balancer adds, far below this. */
export const MAX_HEADER_LENGTH = 512;

export type ProxyHeader =
  /** More bytes are needed to decide. */
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string }
  /** A connection of the load balancer's own (a health check): no client behind it. */
  | { kind: 'local'; length: number }
  /** `length` bytes of header precede the client's first byte. */
  | { kind: 'proxied'; length: number; source: { address: string; port: number } };

function ipv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** Reads the header at the start of what a connection has sent so far. */
export function readProxyHeader(received: Buffer): ProxyHeader {
  const signature = received.subarray(0, SIGNATURE.length);
  if (!signature.equals(SIGNATURE.subarray(0, signature.length))) return { kind: 'invalid', reason: 'no proxy protocol v2 signature' };
  if (received.length < FIXED_LENGTH) return { kind: 'incomplete' };
  const command = received[12]!;
  const length = FIXED_LENGTH + received.readUInt16BE(14);
  if (length > MAX_HEADER_LENGTH) return { kind: 'invalid', reason: `a header of ${length} bytes is longer than ${MAX_HEADER_LENGTH}` };
  if (command !== COMMAND_LOCAL && command !== COMMAND_PROXY) return { kind: 'invalid', reason: `unknown version and command 0x${command.toString(16)}` };
  if (received.length < length) return { kind: 'incomplete' };
  if (command === COMMAND_LOCAL) return { kind: 'local', length };
  const family = received[13]!;
  const body = received.subarray(FIXED_LENGTH, length);
  if (family === TCP_OVER_IPV4 && body.length >= 12) {
    return { kind: 'proxied', length, source: { address: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) } };
  }
  if (family === TCP_OVER_IPV6 && body.length >= 36) {
    return { kind: 'proxied', length, source: { address: ipv6(body.subarray(0, 16)), port: body.readUInt16BE(32) } };
  }
  return { kind: 'invalid', reason: `unsupported address family and transport 0x${family.toString(16)}` };
}
