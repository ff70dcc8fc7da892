/** Users' SSH public keys (extension): the caller's at `/api/user/ssh_keys`, anyone's for an admin at `/api/users/{username}/ssh_keys`. */
import * as z from 'zod';
import type { RouteContext, RouteDefinition } from '../api-types.ts';
import { validate } from '../validation.ts';

export const addSshKeyBody = z.lazy(() =>
  z.strictObject({
    name: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII')
      .describe('a label of your choosing, e.g. the machine the key lives on'),
    public_key: z.string().min(1).max(16_384).describe('OpenSSH format, e.g. the content of ~/.ssh/id_ed25519.pub: ssh-ed25519, ecdsa-sha2-nistp256/384/521, or ssh-rsa of at least 3072 bits'),
  }),
);

const sshKey = z.lazy(() => z.object({ id: z.string(), name: z.string(), fingerprint: z.string().describe('SHA256:…, as ssh-keygen -l prints it'), public_key: z.string(), created_at: z.string() }));
const sshKeyList = z.lazy(() => z.object({ ssh_keys: z.array(sshKey) }));

/** The three operations, for the caller (`self`) or for the user the path names. */
function keyRoutes(base: string, whose: (context: RouteContext) => string, who: string): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: base,
      summary: `${who} SSH public keys.`,
      access: 'user',
      response: { status: 200, schema: sshKeyList, description: 'The keys.' },
      handle: async (context) => ({ status: 200, body: { ssh_keys: await context.services.sshKeys.list(context.user, whose(context)) } }),
    },
    {
      method: 'POST',
      path: base,
      summary: `Registers one of ${who} SSH public keys; a key belongs to one user only.`,
      access: 'user',
      body: addSshKeyBody,
      response: { status: 201, schema: sshKey, description: 'The registered key.' },
      handle: async (context) => {
        const input = validate(addSshKeyBody, context.body ?? {}, 'body');
        return { status: 201, body: await context.services.sshKeys.add(context.user, whose(context), input) };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/{key_id}`,
      summary: `Removes one of ${who} SSH keys; the next SSH login with it is refused.`,
      access: 'user',
      response: { status: 204, description: 'Removed.' },
      handle: async (context) => {
        await context.services.sshKeys.remove(context.user, whose(context), context.params.key_id!);
        return { status: 204 };
      },
    },
  ];
}

export const sshKeyRoutes: RouteDefinition[] = [
  ...keyRoutes('/api/user/ssh_keys', ({ user }) => user.username, "the caller's"),
  ...keyRoutes('/api/users/{username}/ssh_keys', ({ params }) => params.username!, "a user's (admin, or the user itself)"),
];
