/** `no DNS server answered in 9 s: 127.0.0.1:5999` — why a batch stopped by itself (stderr, and the run's footer). */
export function describeDnsSilence(servers: readonly string[], ms: number): string {
  return `no DNS server answered in ${ms / 1000} s: ${servers.join(', ')}`;
}
