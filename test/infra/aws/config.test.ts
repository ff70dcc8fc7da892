import { describe, expect, it } from 'vitest';
import { ConfigError, platformConfig } from '../../../infra/aws/config.ts';
import { DEFAULT_PRICES } from '../../../shared/domain/usage/instance-prices.ts';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const [S1, S2, S3, S4] = ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c', 'subnet-0000000000000000d'];
const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/0d1f5c2e-1111-2222-3333-444455556666';

function config(context: Record<string, unknown>) {
  return platformConfig((key) => context[key]);
}

describe('platformConfig', () => {
  it('takes prices per instance-hour: "default" for the dated on-demand table, or a table of its own, and refuses anything else', () => {
    expect(config({ prices: 'default' }).prices).toEqual(DEFAULT_PRICES);
    expect(config({ prices: { small: 0.05, large: 0.2 } }).prices).toEqual({ small: 0.05, large: 0.2 });
    expect(config({ prices: '{"small": 0.05}' }).prices).toEqual({ small: 0.05 });
    expect(() => config({ prices: { small: -1 } })).toThrow(ConfigError);
    expect(() => config({ prices: 'cheap' })).toThrow(/context "prices" must be "default" or a JSON object/);
  });

  it('gives a complete platform without ingress when no parameter is set', () => {
    expect(config({})).toEqual({ gpu: { instanceTypes: ['g5.xlarge', 'g4dn.xlarge'], maxInstances: 2 }, imageCache: {}, organization: { id: 'cassini', name: 'cassini' } });
  });

  it('names the organization from orgName, and refuses a name that could not appear in a path or owner name', () => {
    expect(config({ orgName: 'acme-research' }).organization).toEqual({ id: 'acme-research', name: 'acme-research' });
    expect(() => config({ orgName: 'Acme/Research' })).toThrow(ConfigError);
    expect(() => config({ orgName: 'Acme/Research' })).toThrow(/orgName/);
  });

  it('reads lists and numbers as the command line gives them (strings) and as cdk.json gives them', () => {
    expect(config({ gpuInstanceTypes: 'p3.8xlarge, g5.12xlarge', gpuMaxInstances: '8' }).gpu).toEqual({ instanceTypes: ['p3.8xlarge', 'g5.12xlarge'], maxInstances: 8 });
    expect(config({ gpuInstanceTypes: ['g4dn.4xlarge', 'g4dn.4xlarge'], gpuMaxInstances: 0 }).gpu).toEqual({ instanceTypes: ['g4dn.4xlarge'], maxInstances: 0 });
  });

  it('mails alarms to the first admin unless another address is given', () => {
    expect(config({ adminEmail: 'ada@example.com' })).toMatchObject({ adminEmail: 'ada@example.com', alarmEmail: 'ada@example.com' });
    expect(config({ adminEmail: 'ada@example.com', alarmEmail: 'ops@example.com' })).toMatchObject({ adminEmail: 'ada@example.com', alarmEmail: 'ops@example.com' });
    expect(config({ alarmEmail: 'ops@example.com' })).toMatchObject({ alarmEmail: 'ops@example.com' });
  });

  it('creates ingress only with a domain and a certificate, and the hosted zone defaults to the domain', () => {
    expect(config({ domainName: 'Apps.Example.com.', certificateArn: CERT, hostedZoneId: 'Z1' }).ingress).toEqual({
      domainName: 'apps.example.com',
      certificateArn: CERT,
      hostedZone: { id: 'Z1', name: 'apps.example.com' },
    });
    expect(config({ domainName: 'apps.example.com', certificateArn: CERT }).ingress).toEqual({ domainName: 'apps.example.com', certificateArn: CERT });
  });

  it.each([
    [{ domainName: 'apps.example.com' }, /needs "certificateArn"/],
    [{ certificateArn: CERT }, /need "domainName"/],
    [{ domainName: 'not a domain', certificateArn: CERT }, /not a domain name/],
    [{ domainName: 'apps.example.com', certificateArn: 'arn:aws:iam::123456789012:role/x' }, /not an ACM certificate ARN/],
    [{ gpuMaxInstances: '1.5' }, /gpuMaxInstances" must be an integer/],
    [{ gpuInstanceTypes: 'g5.xlarge,huge' }, /"huge", which is not an EC2 instance type/],
    [{ gpuMaxInstances: -1 }, /gpuMaxInstances" must be an integer/],
    [{ adminEmail: 'admin' }, /not an e-mail address/],
    [{ alarmEmail: 'ops' }, /"alarmEmail" is not an e-mail address/],
    // Every provisioned type must be one a size runs on: GET /api/info/servers offers sizes, not types.
    [{ gpuInstanceTypes: 'g6.xlarge' }, /"g6.xlarge", which no GPU size runs on; choose from g4dn.xlarge/],
    [{ vpcId: VPC }, /needs "vpcAvailabilityZones" and "vpcPrivateSubnetIds"/],
    [{ vpcId: 'vpc-1', vpcAvailabilityZones: 'a', vpcPrivateSubnetIds: S1 }, /not a VPC id/],
    [{ vpcId: VPC, vpcAvailabilityZones: 'a', vpcPrivateSubnetIds: 'subnet-2' }, /"subnet-2", which is not a subnet id/],
    [{ vpcId: VPC, vpcAvailabilityZones: 'a,b', vpcPrivateSubnetIds: `${S1},${S2},${S3}` }, /same number of subnets in each of the 2 availability zones/],
    [{ vpcId: VPC, vpcAvailabilityZones: 'a', vpcPrivateSubnetIds: S1, domainName: 'apps.example.com', certificateArn: CERT }, /needs "vpcPublicSubnetIds"/],
    [{ vpcId: VPC, vpcAvailabilityZones: 'a', vpcPrivateSubnetIds: S1, availabilityZones: 'a' }, /is for a new VPC/],
  ])('refuses %j', (context, message) => {
    expect(() => config(context)).toThrow(ConfigError);
    expect(() => config(context)).toThrow(message);
  });

  it("takes the edge sidecar's image as given, and refuses one that is not an image reference", () => {
    const pinned = `public.ecr.aws/docker/library/node:22.12.0-alpine3.21@sha256:${'b'.repeat(64)}`;
    expect(config({ edgeImage: pinned }).edgeImage).toBe(pinned);
    expect(config({}).edgeImage).toBeUndefined();
    expect(() => config({ edgeImage: 'node:22 ; curl evil' })).toThrow('context "edgeImage" is not an image reference');
  });

  it('imports an existing VPC by ids', () => {
    expect(config({ vpcId: VPC, vpcAvailabilityZones: 'a,b', vpcPrivateSubnetIds: `${S1},${S2}`, vpcPublicSubnetIds: `${S3},${S4}` }).vpc).toEqual({
      vpcId: VPC,
      availabilityZones: ['a', 'b'],
      privateSubnetIds: [S1, S2],
      publicSubnetIds: [S3, S4],
    });
  });
});
