import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffSummary } from '../../src/report/diff.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { runCli, runInProcess } from '../support/cli.js';
import { startFixtureServer } from '../support/fixtures.js';

/**
 * diff of two jsonl runs of 4,000 reports each (about 24 MB a file) in a
 * 48 MB heap, the built binary: the runs are walked side by side, so
 * memory holds a few reports whatever the number of domains. The reports
 * of one run alone, held as objects, do not fit in that heap (node aborts).
 */

const N = 4000;
let dns: TestDnsServer;
let dir: string;
beforeAll(async () => {
  dns = await startFixtureServer();
  dir = mkdtempSync(join(tmpdir(), 'm365audit-diff-memory-'));
}, 30_000);
afterAll(async () => {
  await dns?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Writes a run of `n` reports made from a real one (mx-none.test): domain t<i>.example at row i, `edit` applied, `order` the rows' order. */
async function writeRun(file: string, template: Record<string, unknown>, rows: number[], edit: (r: Record<string, unknown>, i: number) => Record<string, unknown> | null): Promise<void> {
  const out = createWriteStream(file);
  for (let at = 0; at < rows.length; at += 500) {
    const block = rows.slice(at, at + 500).map((i) => edit({ ...template, domain: `t${i}.example`, input: `t${i}.example`, row: i }, i)).filter((r) => r !== null).map((r) => JSON.stringify(r));
    if (block.length > 0 && !out.write(`${block.join('\n')}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
}

describe('diff memory', () => {
  it(`two runs of ${N.toLocaleString('en')} domains diff within a 48 MB heap, in one order and in opposite orders`, async () => {
    const saved = JSON.parse((await runInProcess(['check', 'mx-none.test', '--dns-server', dns.server, '--no-probe', '--format', 'jsonl'])).stdout.trimEnd()) as Record<string, unknown> & { findings: { severity: string }[]; score: number };
    delete saved.probe;
    delete saved.run;
    const rows = Array.from({ length: N }, (_, i) => i);
    const oldFile = join(dir, 'old.jsonl');
    await writeRun(oldFile, saved, rows, (r) => r);
    // The new run: every 10th domain fixed one warning (score + 5), every 97th gone.
    const fix = (r: Record<string, unknown>, i: number): Record<string, unknown> | null => {
      if (i % 97 === 5) return null;
      if (i % 10 !== 0) return r;
      const at = saved.findings.findIndex((f) => f.severity === 'warning');
      return { ...r, findings: saved.findings.filter((_, k) => k !== at), score: saved.score + 5 };
    };
    const sameOrder = join(dir, 'new.jsonl');
    await writeRun(sameOrder, saved, rows, fix);
    const reversed = join(dir, 'new-reversed.jsonl');
    await writeRun(reversed, saved, [...rows].reverse(), fix);
    const heap = { env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=48` }, timeoutMs: 90_000 };
    for (const [file, order] of [[sameOrder, 'same'], [reversed, 'differs']] as const) {
      const r = await runCli(['diff', oldFile, file, '--format', 'json', '--output', join(dir, 'diff.json'), '--fail-on', 'regression'], heap);
      expect(r.stderr, order).toBe('');
      expect(r.code, order).toBe(0);
      const { summary } = JSON.parse(readFileSync(join(dir, 'diff.json'), 'utf8')) as { summary: DiffSummary };
      const removed = rows.filter((i) => i % 97 === 5).length;
      const improved = rows.filter((i) => i % 10 === 0 && i % 97 !== 5).length;
      expect(summary).toMatchObject({ before: N, after: N - removed, order, verdicts: { improved, removed, unchanged: N - improved - removed, regressed: 0, added: 0 } });
      // Side by side, a report waits only while its run is ahead of the other by the rows removed so far.
      if (order === 'same') expect(summary.held).toBeLessThanOrEqual(2 * removed + 1);
      else expect(summary.held).toBeGreaterThan(N / 2);
    }
  }, 120_000);
});
