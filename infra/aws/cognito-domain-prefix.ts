/**
 * The prefix of the Cognito hosted sign-in domain (`<prefix>.auth.<region>.amazoncognito.com`),
 * derived from the platform's domain name. Cognito accepts lowercase letters, digits and
 * hyphens, at most 63 characters, not starting or ending with a hyphen, and refuses a prefix
 * containing `aws`, `amazon` or `cognito` ("Using the Amazon Cognito domain for managed login",
 * Amazon Cognito Developer Guide): a deploy for `aws.example.com` must not fail on it.
 */
const RESERVED_WORD = /aws|amazon|cognito/;
const MAX_PREFIX = 63;

export function cognitoDomainPrefix(domainName: string): string {
  let prefix = `cassini-${domainName.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  // Removing one word can join letters into another (`awaws` → `aws`): repeat until none is left.
  while (RESERVED_WORD.test(prefix)) prefix = prefix.replace(RESERVED_WORD, '');
  return prefix.replace(/-{2,}/g, '-').slice(0, MAX_PREFIX).replace(/^-+|-+$/g, '');
}
