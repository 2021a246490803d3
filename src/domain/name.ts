/** A DNS name as compared everywhere: lower case, no trailing dot. (Kept apart from normalize.ts so that cheap modules need not load the public-suffix list.) */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
