/** `1 domain`, `2 domains`, `1 DNS query`, `3 DNS queries`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A score as text: `?` when there is none (grade unknown), whatever a saved file holds otherwise as is. */
export function scoreText(score: unknown): string {
  return score === null || score === undefined ? '?' : String(score);
}
