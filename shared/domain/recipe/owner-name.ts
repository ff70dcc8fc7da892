/** Saturn Cloud exports owners as `<org>/<name>`; Cassini has one organisation. */
export function resolveOwnerName(owner: string): string {
  const slash = owner.lastIndexOf('/');
  return slash >= 0 ? owner.slice(slash + 1) : owner;
}
