/**
 * A real HTTP server that answers the IAM Query calls of the per-resource roles the way IAM
 * does (a role name unique per account, a role with an inline policy not deletable, unknown
 * names NoSuchEntity), and records every request with its form fields and headers.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IamRequest {
  action: string;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
}

interface Role {
  path: string;
  boundary: string | undefined;
  trust: string;
  policies: Map<string, string>;
}

function error(status: number, code: string, message: string): { status: number; body: string } {
  return { status, body: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>` };
}

const ok = (action: string, inner = '') => ({ status: 200, body: `<${action}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>` });

export async function fakeIamServer() {
  const requests: IamRequest[] = [];
  const roles = new Map<string, Role>();

  function answer({ action, params }: IamRequest): { status: number; body: string } {
    const name = params.RoleName ?? '';
    const role = roles.get(name);
    switch (action) {
      case 'CreateRole':
        if (role) return error(409, 'EntityAlreadyExists', `Role with name ${name} already exists.`);
        roles.set(name, { path: params.Path ?? '/', boundary: params.PermissionsBoundary, trust: params.AssumeRolePolicyDocument ?? '', policies: new Map() });
        return ok(action, `<Role><Path>${params.Path}</Path><RoleName>${name}</RoleName><Arn>arn:aws:iam::123456789012:role${params.Path}${name}</Arn></Role>`);
      case 'PutRolePolicy':
        if (!role) return error(404, 'NoSuchEntity', `The role with name ${name} cannot be found.`);
        role.policies.set(params.PolicyName!, params.PolicyDocument!);
        return ok(action);
      case 'DeleteRolePolicy':
        if (!role?.policies.has(params.PolicyName!)) return error(404, 'NoSuchEntity', `The role policy with name ${params.PolicyName} cannot be found.`);
        role.policies.delete(params.PolicyName!);
        return ok(action);
      case 'DeleteRole':
        if (!role) return error(404, 'NoSuchEntity', `The role with name ${name} cannot be found.`);
        if (role.policies.size > 0) return error(409, 'DeleteConflict', 'Cannot delete entity, must delete policies first.');
        roles.delete(name);
        return ok(action);
      default:
        return error(400, 'InvalidAction', `unknown action ${action}`);
    }
  }

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const { Action: action = '', ...params } = Object.fromEntries(new URLSearchParams(body));
      const request = { action, params, headers: req.headers };
      requests.push(request);
      const { status, body: out } = answer(request);
      res.writeHead(status, { 'content-type': 'text/xml' }).end(out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { endpoint, requests, roles, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
