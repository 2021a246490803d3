/**
 * SLOW (one `npm pack`, one `npm install`: about 5 s here, more on a cold
 * npm cache): the package as a user gets it. `npm pack` of this checkout
 * (dist/ is built by the global setup; --ignore-scripts skips `prepare`),
 * then `npm install <tarball>` into an empty folder, then the installed
 * bin: `npx m365audit demo`, `m365audit sandbox` over the package's own
 * fixture zones, and `check --zone` against that sandbox.
 *
 * npm itself is not code under test: it runs without the loopback guard
 * (tests/support/loopback-setup.ts) and may ask the npm registry for what
 * its cache (filled by `npm ci`) lacks (--prefer-offline). Every run of the
 * installed m365audit keeps the guard.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainReport } from '../src/audit/audit.js';
import { createDnsClient } from '../src/dns/client.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const NPM_TIMEOUT_MS = 240_000;

/** The environment of the npm commands: no loopback guard, and none of the outer npm's own variables (npm_config_local_prefix would install into this checkout). */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_cafile']);
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('npm_') || keep.has(k)) env[k] = v;
  env.NODE_OPTIONS = (process.env.NODE_OPTIONS ?? '').split(' ').filter((o) => !o.includes('loopback-guard')).join(' ');
  return env;
}

/** The installed bin's environment: the guard stays (NODE_OPTIONS), no colour. */
const binEnv = (): NodeJS.ProcessEnv => ({ ...process.env, NO_COLOR: '1' });

let packDir: string;
let installDir: string;
let files: string[];
let bin: string;

beforeAll(async () => {
  packDir = mkdtempSync(join(tmpdir(), 'm365audit-pack-'));
  installDir = mkdtempSync(join(tmpdir(), 'm365audit-install-'));
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], { cwd: ROOT, env: npmEnv(), maxBuffer: 16 * 1024 * 1024 });
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  files = (info?.files ?? []).map((f) => f.path).sort();
  writeFileSync(join(installDir, 'package.json'), '{ "name": "m365audit-install-test", "private": true }\n');
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-update-notifier', join(packDir, info?.filename ?? '')], { cwd: installDir, env: npmEnv(), timeout: NPM_TIMEOUT_MS });
  bin = join(installDir, 'node_modules', '.bin', 'm365audit');
}, NPM_TIMEOUT_MS + 30_000);

afterAll(() => {
  for (const d of [packDir, installDir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('the package from `npm pack`, installed into an empty folder (slow: npm pack + npm install)', () => {
  it('holds the built library, the CLI, the bundled zones and the schema, and no test code', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/src/cli/main.js', 'dist/src/index.js', 'dist/src/sandbox/index.js', 'dist/src/dns/overlay.js', 'fixtures/infra/outlook.com.zone', 'fixtures/demo/contoso.example.zone', 'schema/report.schema.json']));
    const tops = [...new Set(files.map((f) => (f.startsWith('dist/') ? f.split('/').slice(0, 2).join('/') : f.split('/')[0])))].sort();
    expect(tops).toEqual(['README.md', 'dist/src', 'fixtures', 'package.json', 'schema']);
    expect(files.filter((f) => /(^|\/)(test|tests|bench|__tests__)\//.test(f) || /\.test\.[jt]s$/.test(f) || /^src\//.test(f))).toEqual([]);
    expect(new Set(files.filter((f) => f.startsWith('fixtures/')).map((f) => f.split('/')[1]))).toEqual(new Set(['demo', 'infra', 'zones']));
  });

  it('npx m365audit demo: exit 0, three domains', async () => {
    const r = await run('npx', ['--no-install', '--no-update-notifier', 'm365audit', 'demo', '--format', 'json'], { cwd: installDir, env: binEnv() });
    const doc = JSON.parse(r.stdout) as { domains: DomainReport[] };
    expect(doc.domains.map((d) => d.domain)).toEqual(['contoso.example', 'fabrikam.example', 'tailspin.example']);
    expect(doc.domains[0]?.grade).toBe('ready');
  });

  it('m365audit sandbox serves the package\'s zones; plan --format zone, then check --zone against it, ends with the plan\'s records audited', async () => {
    const zones = join(installDir, 'node_modules', 'm365audit', 'fixtures', 'zones');
    const child = spawn(bin, ['sandbox', '--zones', zones], { cwd: installDir, env: binEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const out = await readUntil(child, /^ready: Ctrl-C stops the sandbox$/m);
      const server = /--dns-server (127\.0\.0\.1:\d+)/.exec(out)?.[1] as string;
      const dns = createDnsClient({ servers: [server], timeoutMs: 2000, retries: 0 });
      expect(await dns.resolve('mx-multi.test', 'MX')).toMatchObject({ kind: 'records' });
      expect((await dns.resolve('spf.protection.outlook.com', 'TXT')).kind).toBe('records');

      const next = join(installDir, 'next.zone');
      const args = ['mx-multi.test', '--tenant', 'mxmulti', '--dns-server', server, '--timeout', '2000', '--retries', '0'];
      await run(bin, ['plan', ...args, '--format', 'zone', '--output', next], { cwd: installDir, env: binEnv() });
      // Exit 1: DKIM_NO_KEY stays an error (the keys at the targets are Microsoft's to publish).
      const check = await run(bin, ['check', ...args, '--zone', next, '--no-probe', '--format', 'json'], { cwd: installDir, env: binEnv() }).catch((err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }));
      const [report] = (JSON.parse(check.stdout) as { domains: DomainReport[] }).domains;
      expect(report?.overlay?.answersTotal).toBe(6);
      expect(report?.findings.filter((f) => f.severity === 'error').map((f) => f.code)).toEqual(['DKIM_NO_KEY']);
    } finally {
      child.kill('SIGINT');
    }
    const [code, stderr] = await exited(child);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^m365audit: sandbox stopped after \d+ DNS queries\n$/);
  });
});

/** Resolves with stdout once it matches; rejects if the child ends first. */
function readUntil(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (pattern.test(out)) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ${pattern}: ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<[number | null, string]> {
  let err = '';
  child.stderr?.on('data', (d: string) => (err += d));
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve([child.exitCode, err]);
    child.once('exit', (code) => resolve([code, err]));
  });
}
