/**
 * The leak check of the issue 15 review: no run of 12 characters of a secret
 * (the redaction window, src/smtp/redact.ts LEAK_WINDOW) in what a user
 * sees. A JWT's header is skipped: it is public and alike in every token.
 */
import { expect } from 'vitest';

const WINDOW = 12;

/** Fails when `seen` holds any run of 12 characters of `secret` (after a JWT's header). */
export function expectNoRun(seen: string, secret: string): void {
  const from = secret.startsWith('eyJ') && secret.includes('.') ? secret.indexOf('.') + 1 : 0;
  for (let i = from; i + WINDOW <= secret.length; i++) {
    const run = secret.slice(i, i + WINDOW);
    if (seen.includes(run)) expect.fail(`a run of the secret is shown (characters ${i}-${i + WINDOW - 1}): ${JSON.stringify(run)}`);
  }
}
