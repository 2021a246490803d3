import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/cli.js';

const HOOK = fileURLToPath(new URL('../support/record-loads.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'm365audit-loads-'));

/** The files the built binary loads for a command line (a spawned process: module caches are per process). */
function loads(args: string[], tag: string): string[] {
  const out = join(dir, `${tag}.txt`);
  const r = spawnSync(process.execPath, ['--import', HOOK, CLI, ...args], { env: { ...process.env, M365AUDIT_LOADS: out, NO_COLOR: '1' }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return [...new Set(readFileSync(out, 'utf8').trim().split('\n'))];
}
const project = (files: string[]): string[] => files.filter((f) => f.includes('/dist/')).map((f) => f.replace(/^.*\/dist\//, ''));
const packages = (files: string[]): string[] => [...new Set(files.flatMap((f) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1] ?? []))];

describe('the CLI starts at once: a command loads only its own code', () => {
  it('--version and --help load the program and commander, nothing else', () => {
    for (const args of [['--version'], ['--help']]) {
      const files = loads(args, args[0] ?? 'x');
      expect(project(files).sort()).toEqual(['src/cli/command-table.js', 'src/cli/main.js', 'src/cli/program.js', 'src/cli/usage.js', 'src/report/safe-text.js', 'src/version.js']);
      expect(packages(files)).toEqual(['commander']);
    }
  });

  it('explain loads the code catalog, not the audit, the renderers of other commands or the demo servers', () => {
    const files = loads(['explain', '5.7.3'], 'explain');
    expect(project(files)).toContain('src/cli/commands/explain.js');
    expect(project(files).filter((f) => /commands\/(?!explain)/.test(f))).toEqual([]);
    expect(project(files)).not.toContain('src/audit/audit.js');
    for (const p of ['smtp-server', 'selfsigned', 'dns-packet', 'tldts', 'csv-stringify']) expect(packages(files)).not.toContain(p);
  });

  it('check --help does not load the demo servers', () => {
    const files = loads(['check', '--help'], 'check-help');
    expect(project(files)).toContain('src/cli/commands/check.js');
    expect(project(files).some((f) => f.includes('test/support') || f.includes('commands/demo'))).toBe(false);
    for (const p of ['smtp-server', 'selfsigned']) expect(packages(files)).not.toContain(p);
  });
});
