/**
 * README "Library": its examples compile against the package's published
 * types (`m365audit` and `m365audit/sandbox` resolved through package.json
 * "exports", as a user's project resolves them) and run, unchanged, in a
 * node process against the sandbox: nothing leaves loopback.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, ZoneStore, type TestDnsServer } from '../../src/sandbox/index.js';
import { ROOT } from './public-api.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The ```ts blocks of the README's "### Library" section, in order. */
function libraryExamples(): string[] {
  const start = README.indexOf('\n### Library\n');
  if (start < 0) throw new Error('README.md has no "### Library" section');
  const end = README.indexOf('\n## ', start + 1);
  const section = README.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

/** The type errors of each example, compiled as modules of this package (test/api/readme-example-N.ts, in memory, one program), as tsc words them. */
function typeErrors(examples: readonly string[]): string[][] {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (config === undefined) throw new Error('cannot read tsconfig.json');
  const files = new Map(examples.map((code, i) => [path.join(ROOT, 'test', 'api', `readme-example-${i}.ts`), code]));
  const options = { ...config.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) => {
    const code = files.get(path.resolve(name));
    return code === undefined ? getSourceFile.call(host, name, lang, ...rest) : ts.createSourceFile(name, code, lang);
  };
  host.fileExists = (name) => files.has(path.resolve(name)) || fileExists.call(host, name);
  host.readFile = (name) => files.get(path.resolve(name)) ?? readFile.call(host, name);
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host });
  const global = program.getGlobalDiagnostics().map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  return [...files.keys()].map((file, i) => [
    ...(i === 0 ? global : []),
    ...[...program.getSyntacticDiagnostics(program.getSourceFile(file)), ...program.getSemanticDiagnostics(program.getSourceFile(file))]
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  ]);
}

/** What `import … from 'm365audit[/sandbox]'` loads: package.json "exports" → the built module. */
function builtEntry(subpath: '.' | './sandbox'): string {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { import: string }> };
  const target = pkg.exports[subpath]?.import;
  if (!target) throw new Error(`package.json exports has no ${subpath}`);
  return pathToFileURL(path.join(ROOT, target)).href;
}

/**
 * Runs an example in its own node process (with the loopback guard every
 * test process gets through NODE_OPTIONS), from `cwd` (the repository root),
 * with `m365audit` bound to `main` and `m365audit/sandbox` to the built
 * sandbox.
 */
function runExample(code: string, main: string, env: Record<string, string> = {}, cwd = ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText
    .replace(/from 'm365audit\/sandbox'/g, `from '${builtEntry('./sandbox')}'`)
    .replace(/from 'm365audit'/g, `from '${main}'`);
  const file = path.join(dir, `example-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, js);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (exit) => resolve({ code: exit, stdout, stderr }));
  });
}

let dir: string;
let dns: TestDnsServer;
/** contoso.com as the demo's ready tenant: the zone file, and the m365audit entry whose system resolver is the sandbox's. */
let contosoZone: string;
let withSandboxResolver: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'm365audit-readme-'));
  // contoso.com as the demo's ready tenant (fixtures/demo/contoso.example.zone), its Microsoft names renamed to match.
  const zones = new ZoneStore().loadDir(path.join(ROOT, 'fixtures/infra'));
  const demo = readFileSync(path.join(ROOT, 'fixtures/demo/contoso.example.zone'), 'utf8');
  contosoZone = demo.replaceAll('contoso-example', 'contoso-com').replaceAll('contoso.example', 'contoso.com');
  zones.addZone('contoso.com', contosoZone);
  for (const r of zones.recordsOf('contoso-example.mail.protection.outlook.com', 'A')) zones.addRecord('contoso-com.mail.protection.outlook.com', 'A', r.data);
  for (const n of [1, 2]) {
    for (const r of zones.recordsOf(`selector${n}-contoso-example._domainkey.contoso.onmicrosoft.com`, 'TXT')) {
      zones.addRecord(`selector${n}-contoso-com._domainkey.contoso.onmicrosoft.com`, 'TXT', r.data);
    }
  }
  dns = await startDnsServer({ zones });
  // The one change to the examples: createDnsClient's default resolvers (the system's) are the loopback server.
  withSandboxResolver = path.join(dir, 'm365audit-with-sandbox-resolver.mjs');
  writeFileSync(withSandboxResolver, [
    `export * from '${builtEntry('.')}';`,
    `import { createDnsClient as real } from '${builtEntry('.')}';`,
    'export function createDnsClient(options = {}) { return real({ servers: [process.env.README_DNS_SERVER], ...options }); }',
    '',
  ].join('\n'));
});

afterAll(async () => {
  await dns?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('README "Library"', () => {
  const examples = libraryExamples();

  it('has the library example, the zone overlay example, the sandbox example and the DNSSEC example', () => {
    expect(examples).toHaveLength(4);
    expect(examples[0]).toContain("import { auditDomain, createDnsClient } from 'm365audit';");
    expect(examples[1]).toContain('createZoneOverlay(');
    expect(examples[2]).toContain("from 'm365audit/sandbox';");
    expect(examples[3]).toContain('createSecureDnsClient(');
  });

  it('examples compile against the published types, with the project\'s strict options', () => {
    expect(typeErrors(examples)).toEqual([[], [], [], []]);
  }, 60_000);

  it('the library example runs as written, the system resolver being the sandbox\'s DNS server', async () => {
    const run = await runExample(examples[0] as string, pathToFileURL(withSandboxResolver).href, { README_DNS_SERVER: dns.server });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("ready [ 'MTA_STS_MISSING', 'TLS_RPT_MISSING' ]\n");
    expect(dns.stats().unique).toBeGreaterThan(5);
  }, 30_000);

  it('the zone overlay example runs as written: next.zone answers for contoso.com, the rest is live', async () => {
    const work = mkdtempSync(path.join(dir, 'overlay-'));
    writeFileSync(path.join(work, 'next.zone'), contosoZone);
    const before = dns.stats();
    const run = await runExample(examples[1] as string, pathToFileURL(withSandboxResolver).href, { README_DNS_SERVER: dns.server }, work);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("ready [ 'next.zone' ]\n");
    // The file holds the zone (its SOA): contoso.com's own names never reach the server; Microsoft's names do.
    const after = dns.stats();
    expect(after.perQuery.get('contoso.com MX') ?? 0).toBe(before.perQuery.get('contoso.com MX') ?? 0);
    expect(after.perQuery.get('spf.protection.outlook.com TXT') ?? 0).toBeGreaterThan(before.perQuery.get('spf.protection.outlook.com TXT') ?? 0);
  }, 30_000);

  it('the sandbox example runs as written: ready, unknown under a fault, the SMTP endpoint reachable with AUTH', async () => {
    const run = await runExample(examples[2] as string, builtEntry('.'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("ready unknown true [ 'LOGIN', 'XOAUTH2' ]\n");
  }, 30_000);

  it('the DNSSEC example runs as written: the signed sandbox zone is validated in one query', async () => {
    const run = await runExample(examples[3] as string, builtEntry('.'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('validated 1\n');
  }, 30_000);
});
