/**
 * The header that names the signed-in caller to an app behind the platform's proxy, and the
 * rule for removing every spelling of it a client could send.
 *
 * Apps do not all read headers by their HTTP name: CGI and WSGI (PEP 3333) servers expose
 * `X-Cassini-User` as `HTTP_X_CASSINI_USER`, upper-casing the name and turning `-` into `_`,
 * so a client's `X_Cassini_User: alice` reaches the app as the same variable as the platform's
 * header, and some servers join the two (`'alice,bob'`). A header is therefore the identity
 * header when its name, ignoring case and every character that is not a letter or a digit,
 * reads `xcassiniuser`. Both the local proxy and the AWS sidecar strip with this one test
 * (forwarded-headers.ts).
 */

/** The header naming the authenticated caller to the app, as the platform sets it. */
export const IDENTITY_HEADER = 'x-cassini-user';

const IDENTITY_LETTERS = 'xcassiniuser';

/** Whether a header name is, or will read to some app as, the identity header. */
export function isIdentityHeader(name: string): boolean {
  // Shorter names cannot hold its twelve letters: most headers are ruled out without a copy.
  if (name.length < IDENTITY_LETTERS.length) return false;
  return name.toLowerCase().replace(/[^a-z0-9]/g, '') === IDENTITY_LETTERS;
}
