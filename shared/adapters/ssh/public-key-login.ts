/**
 * A public-key login as every SSH endpoint of the platform checks it (the local endpoint,
 * infra/local/ssh/; the gateway on AWS, infra/aws/ssh-gateway/): the platform admits the login
 * and the offered key (SshGate.admit, directly or through the admission function), and, when
 * the client sent a signature, the signature must verify with the REGISTERED key. ssh2 leaves
 * that check to the server: without it, offering someone's public key would be enough.
 */
// ssh2 is CommonJS: Node's ESM loader gives its exports as the default only.
import ssh2, { type Connection, type PublicKeyAuthContext } from 'ssh2';

/** The admission of a login with a key (its wire-format blob, base64), if any. */
export type AdmitLogin<A> = (login: string, keyBlobBase64: string) => Promise<A | undefined>;

/**
 * The admission of this attempt, or undefined. Without a signature the client only asks
 * whether the key would do (RFC 4252, section 7); it proves it holds the key in its next attempt.
 */
export async function admitPublicKeyLogin<A extends { publicKey: string }>(admit: AdmitLogin<A>, ctx: PublicKeyAuthContext): Promise<A | undefined> {
  const admission = await admit(ctx.username, ctx.key.data.toString('base64'));
  if (admission === undefined) return undefined;
  if (ctx.signature === undefined) return admission;
  const registered = ssh2.utils.parseKey(admission.publicKey);
  if (registered instanceof Error || ctx.blob === undefined) return undefined;
  return registered.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true ? admission : undefined;
}

/**
 * Answers a client's authentication attempts: public keys only, each admitted as above. `proved`
 * gets the admission of an attempt that carried a verified signature (ssh2 is `ready` only
 * after one); an admission that fails to be checked is `failed` and refused.
 */
export function answerPublicKeyLogins<A extends { publicKey: string }>(
  client: Connection,
  admit: AdmitLogin<A>,
  handlers: { proved(admission: A, ctx: PublicKeyAuthContext): void; failed(error: unknown): void },
): void {
  client.on('authentication', (ctx) => {
    if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
    void admitPublicKeyLogin(admit, ctx).then(
      (admission) => {
        if (admission === undefined) return ctx.reject(['publickey']);
        if (ctx.signature !== undefined) handlers.proved(admission, ctx);
        ctx.accept();
      },
      (error: unknown) => {
        handlers.failed(error);
        ctx.reject(['publickey']);
      },
    );
  });
}
