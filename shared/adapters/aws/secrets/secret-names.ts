/**
 * How the platform names its secrets in Secrets Manager: `<prefix><owner>/<name>`, prefix
 * `cassini/` by default (the only names the platform's roles may touch). Apart from the store so
 * that what only names secrets (task definitions, token secrets) does not bundle the commands
 * that write them.
 */
import type { SecretRef } from '../../../ports/secret-store.ts';

export const DEFAULT_SECRET_PREFIX = 'cassini/';

/** The Secrets Manager name of a secret. */
export function secretName(ref: SecretRef, prefix = DEFAULT_SECRET_PREFIX): string {
  return `${prefix}${ref.owner}/${ref.name}`;
}
