/**
 * A real HTTP server that answers the EC2 Query calls of a Dask cluster's security group the
 * way EC2 does (names unique per VPC, duplicate rules refused, groups in use not deleted), and
 * records every request with its form fields and headers.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Ec2Request {
  action: string;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
}

interface Group {
  id: string;
  name: string;
  vpcId: string;
  tags: Record<string, string>;
  rules: string[];
  /** A network interface still uses it. */
  inUse: boolean;
}

function error(code: string, message: string): { status: number; body: string } {
  return { status: 400, body: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>r-1</RequestID></Response>` };
}

export async function fakeEc2Server() {
  const requests: Ec2Request[] = [];
  const groups = new Map<string, Group>();
  let next = 1;
  /** Calls to fail once with a code, before the state changes (a create lost to a race, ...). */
  const failNext = new Map<string, string>();
  /** How many DescribeSecurityGroups answer empty, as for a look made just before another process's create. */
  const staleDescribes = { count: 0 };

  function answer({ action, params }: Ec2Request): { status: number; body: string } {
    const injected = failNext.get(action);
    if (injected) {
      failNext.delete(action);
      return error(injected, `injected ${injected}`);
    }
    switch (action) {
      case 'CreateSecurityGroup': {
        if ([...groups.values()].some((g) => g.name === params.GroupName && g.vpcId === params.VpcId)) return error('InvalidGroup.Duplicate', `The security group '${params.GroupName}' already exists for VPC '${params.VpcId}'`);
        const id = `sg-${String(next++).padStart(17, '0')}`;
        const tags = params['TagSpecification.1.Tag.1.Key'] ? { [params['TagSpecification.1.Tag.1.Key']]: params['TagSpecification.1.Tag.1.Value'] ?? '' } : {};
        groups.set(id, { id, name: params.GroupName!, vpcId: params.VpcId!, tags, rules: [], inUse: false });
        return { status: 200, body: `<CreateSecurityGroupResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><return>true</return><groupId>${id}</groupId></CreateSecurityGroupResponse>` };
      }
      case 'AuthorizeSecurityGroupIngress': {
        const group = groups.get(params.GroupId!);
        if (!group) return error('InvalidGroup.NotFound', `The security group '${params.GroupId}' does not exist`);
        const rule = `${params['IpPermissions.1.IpProtocol']}:${params['IpPermissions.1.FromPort']}-${params['IpPermissions.1.ToPort']}<-${params['IpPermissions.1.Groups.1.GroupId']}`;
        if (group.rules.includes(rule)) return error('InvalidPermission.Duplicate', 'the specified rule already exists');
        group.rules.push(rule);
        return { status: 200, body: '<AuthorizeSecurityGroupIngressResponse><return>true</return></AuthorizeSecurityGroupIngressResponse>' };
      }
      case 'DescribeSecurityGroups': {
        if (staleDescribes.count > 0) {
          staleDescribes.count--;
          return { status: 200, body: '<DescribeSecurityGroupsResponse><securityGroupInfo/></DescribeSecurityGroupsResponse>' };
        }
        const filters = new Map<string, string>();
        for (let n = 1; params[`Filter.${n}.Name`]; n++) filters.set(params[`Filter.${n}.Name`]!, params[`Filter.${n}.Value.1`]!);
        const found = [...groups.values()].filter(
          (g) => (!filters.has('vpc-id') || g.vpcId === filters.get('vpc-id')) && (!filters.has('group-name') || g.name === filters.get('group-name')) && (!filters.has('tag-key') || filters.get('tag-key')! in g.tags),
        );
        const items = found
          .map(
            (g) =>
              `<item><ownerId>123456789012</ownerId><groupId>${g.id}</groupId><groupName>${g.name}</groupName><vpcId>${g.vpcId}</vpcId>` +
              `<ipPermissions>${g.rules.map((r) => `<item><groups><item><groupId>${r.split('<-')[1]}</groupId></item></groups></item>`).join('')}</ipPermissions>` +
              `<tagSet>${Object.entries(g.tags).map(([k, v]) => `<item><key>${k}</key><value>${v}</value></item>`).join('')}</tagSet></item>`,
          )
          .join('');
        return { status: 200, body: `<DescribeSecurityGroupsResponse><requestId>r</requestId><securityGroupInfo>${items}</securityGroupInfo></DescribeSecurityGroupsResponse>` };
      }
      case 'DeleteSecurityGroup': {
        const group = groups.get(params.GroupId!);
        if (!group) return error('InvalidGroup.NotFound', `The security group '${params.GroupId}' does not exist`);
        if (group.inUse) return error('DependencyViolation', `resource ${params.GroupId} has a dependent object`);
        groups.delete(group.id);
        return { status: 200, body: '<DeleteSecurityGroupResponse><return>true</return></DeleteSecurityGroupResponse>' };
      }
      default:
        return error('InvalidAction', `unknown action ${action}`);
    }
  }

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const { Action: action = '', ...rest } = params;
      const request = { action, params: rest, headers: req.headers };
      requests.push(request);
      const { status, body: out } = answer(request);
      res.writeHead(status, { 'content-type': 'text/xml' }).end(out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { endpoint, requests, groups, failNext, staleDescribes, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
