/**
 * The proxy protocol v2 header the SSH load balancer puts before each connection
 * (infra/aws/ssh-gateway/proxy-protocol.ts), built here byte by byte as the specification
 * lays it out ("Proxy protocol", Edit target group attributes for your Network Load Balancer).
 */
import { describe, expect, it } from 'vitest';
import { MAX_HEADER_LENGTH, readProxyHeader } from '../../../../infra/aws/ssh-gateway/proxy-protocol.ts';

const SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

function header(command: number, family: number, body: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(body.length);
  return Buffer.concat([SIGNATURE, Buffer.from([command, family]), length, body]);
}

function ipv4Body(source: number[], sourcePort: number, tlvs = Buffer.alloc(0)): Buffer {
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sourcePort, 0);
  ports.writeUInt16BE(2222, 2);
  return Buffer.concat([Buffer.from(source), Buffer.from([10, 0, 1, 5]), ports, tlvs]);
}

const SSH_BANNER = Buffer.from('SSH-2.0-OpenSSH_9.6\r\n');

describe('readProxyHeader', () => {
  it('reads the client\'s IPv4 address and port, and where the SSH stream starts', () => {
    // Prepare: the load balancer adds a TLV (type 0xEA, its VPC endpoint id) after the addresses.
    const tlv = Buffer.concat([Buffer.from([0xea, 0x00, 0x05]), Buffer.from('vpce1')]);
    const bytes = Buffer.concat([header(0x21, 0x11, ipv4Body([203, 0, 113, 7], 50123, tlv)), SSH_BANNER]);

    // Act
    const read = readProxyHeader(bytes);

    // Assess
    expect(read).toEqual({ kind: 'proxied', length: 16 + 12 + tlv.length, source: { address: '203.0.113.7', port: 50123 } });
    expect(bytes.subarray((read as { length: number }).length)).toEqual(SSH_BANNER);
  });

  it('reads an IPv6 client', () => {
    const body = Buffer.alloc(36);
    Buffer.from('20010db8000000000000000000000001', 'hex').copy(body, 0);
    body.writeUInt16BE(40000, 32);
    expect(readProxyHeader(header(0x21, 0x21, body))).toMatchObject({ kind: 'proxied', source: { address: '2001:db8:0:0:0:0:0:1', port: 40000 } });
  });

  it('waits for more bytes while the header is cut short, wherever the cut is', () => {
    const whole = header(0x21, 0x11, ipv4Body([198, 51, 100, 1], 1024));
    for (const cut of [1, 11, 12, 15, 16, whole.length - 1]) expect(readProxyHeader(whole.subarray(0, cut)), `cut at ${cut}`).toEqual({ kind: 'incomplete' });
  });

  it('tells the load balancer\'s own connections (LOCAL: health checks) apart', () => {
    expect(readProxyHeader(header(0x20, 0x00, Buffer.alloc(0)))).toEqual({ kind: 'local', length: 16 });
  });

  it('refuses a connection that did not come through the load balancer: a client speaking SSH at once, or a forged header', () => {
    expect(readProxyHeader(SSH_BANNER)).toMatchObject({ kind: 'invalid', reason: 'no proxy protocol v2 signature' });
    // Version 1 (text) is not what the load balancer sends.
    expect(readProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'))).toMatchObject({ kind: 'invalid' });
    expect(readProxyHeader(header(0x22, 0x11, ipv4Body([1, 2, 3, 4], 1)))).toMatchObject({ kind: 'invalid', reason: /unknown version and command/ });
    expect(readProxyHeader(header(0x21, 0x12, ipv4Body([1, 2, 3, 4], 1)))).toMatchObject({ kind: 'invalid', reason: /unsupported address family/ });
  });

  it('refuses a header longer than any the load balancer sends, before waiting for it', () => {
    const announced = Buffer.concat([SIGNATURE, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
    expect(readProxyHeader(announced)).toMatchObject({ kind: 'invalid', reason: `a header of ${16 + 0xffff} bytes is longer than ${MAX_HEADER_LENGTH}` });
  });
});
