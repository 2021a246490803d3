/** A DNS name as compared everywhere: lower case, no trailing dot. (Kept apart from normalize.ts so that cheap modules need not load the public-suffix list.) */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.charCodeAt(lower.length - 1) === 46 ? lower.slice(0, -1) : lower;
}
