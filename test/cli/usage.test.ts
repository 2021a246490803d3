import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'm365audit-usage-'));
const notPem = join(dir, 'not.pem');
writeFileSync(notPem, 'hello\n');
const badPem = join(dir, 'bad.pem');
writeFileSync(badPem, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
const list = join(dir, 'list.txt');
writeFileSync(list, 'ready.test\n');

/** Exit 2 and exactly one line on stderr, with the tool's prefix, nothing on stdout. */
async function usageError(args: string[], pattern: RegExp): Promise<void> {
  const r = await runInProcess(args);
  expect({ code: r.code, stdout: r.stdout }, args.join(' ')).toEqual({ code: 2, stdout: '' });
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, args.join(' ')).toHaveLength(1);
  expect(lines[0]).toMatch(/^m365audit: /);
  expect(lines[0]).toMatch(pattern);
}

// No DNS is asked in any of these: each is refused before the run starts.
const offline = ['--dns-server', '127.0.0.1:9', '--timeout', '50', '--retries', '0'];

describe('usage errors are one line, exit 2', () => {
  it('options that contradict each other', async () => {
    await usageError(['check', 'ready.test', ...offline, '--no-probe', '--probe-host', 'smtp.example:587'], /--no-probe cannot be used with --probe-host/);
    // --tls-ca also serves the MTA-STS policy fetch, so --no-probe beside it is no contradiction: the file itself is checked.
    await usageError(['check', 'ready.test', ...offline, '--no-probe', '--tls-ca', notPem], /--tls-ca .* holds no PEM certificate/);
    await usageError(['check', 'ready.test', ...offline, '--no-probe', '--mta-sts-host', 'not a host'], /--mta-sts-host: not a host\[:port\]: "not a host"/);
    await usageError(['batch', list, ...offline, '--no-probe', '--insecure'], /--no-probe cannot be used with --insecure/);
    await usageError(['check', 'ready.test', ...offline, '--no-probe', '--csv-rows', 'findings'], /--csv-rows needs --format csv/);
    await usageError(['batch', list, ...offline, '--no-probe', '--format', 'json', '--csv-rows', 'findings'], /--csv-rows needs --format csv/);
    await usageError(['report', list, '--csv-rows', 'domains'], /--csv-rows needs --format csv/);
  });

  it('a repeated --format, whatever the command', async () => {
    await usageError(['check', 'ready.test', ...offline, '--no-probe', '--format', 'json', '--format', 'csv'], /--format is given more than once/);
    await usageError(['explain', '5.7.3', '--format', 'table', '--format', 'json'], /--format is given more than once/);
    await usageError(['plan', 'ready.test', '--tenant', 'ready', '--format', 'zone', '--format', 'json'], /--format is given more than once/);
  });

  it('numbers beyond their upper bounds', async () => {
    await usageError(['batch', list, '--no-probe', '--concurrency', '4097'], /--concurrency must be a whole number from 1 to 4096/);
    await usageError(['check', 'ready.test', '--no-probe', '--retries', '11'], /--retries must be a whole number from 0 to 10/);
    await usageError(['check', 'ready.test', '--no-probe', '--timeout', '60001'], /--timeout must be a whole number from 1 to 60000/);
    await usageError(['probe', '127.0.0.1:9', '--timeout', '120001'], /--timeout must be a whole number from 1 to 120000/);
  });

  it('an unreadable or invalid --tls-ca, in every command that takes one', async () => {
    await usageError(['check', 'ready.test', ...offline, '--tls-ca', join(dir, 'missing.pem')], /cannot read --tls-ca .*ENOENT/);
    await usageError(['check', 'ready.test', ...offline, '--tls-ca', notPem], /holds no PEM certificate/);
    await usageError(['batch', list, ...offline, '--tls-ca', badPem], /the certificate does not parse/);
    await usageError(['probe', '127.0.0.1:9', '--tls-ca', badPem], /the certificate does not parse/);
  });

  it("commander's own errors carry the same prefix", async () => {
    await usageError(['check', 'ready.test', '--no-such-flag'], /^m365audit: unknown option '--no-such-flag'$/);
    await usageError(['check', 'ready.test', '--cloud', 'mars'], /^m365audit: option '--cloud <cloud>' argument 'mars' is invalid/);
    await usageError(['check'], /^m365audit: missing required argument 'domain'$/);
    const r = await runInProcess(['chek', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^m365audit: unknown command 'chek'\n\(Did you mean check\?\)\n$/);
  });
});

describe('--help', () => {
  it('shows each default once', async () => {
    for (const cmd of ['check', 'batch', 'spf', 'probe', 'explain', 'report', 'plan', 'demo']) {
      const r = await runInProcess([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      const help = r.stdout.replace(/\s+/g, ' ');
      expect(help, cmd).not.toMatch(/\(default:? [^)]*\) \(default:? /);
      for (const m of help.matchAll(/--[a-z-]+ (?:<[a-z:[\]]+> )?[^-]*?\(default:? ([^)]*)\)/g)) {
        const option = m[0].split(' ')[0] ?? '';
        expect(m[0].match(/\(default/g), `${cmd} ${option}`).toHaveLength(1);
      }
    }
    const batch = (await runInProcess(['batch', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(batch).toMatch(/--concurrency <n> domains audited at once, at most 4096 \(default: 64\)/);
  });

  it('lists every command without loading any', async () => {
    const r = await runInProcess(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['check', 'batch', 'spf', 'probe', 'explain', 'report', 'plan', 'demo']) expect(r.stdout).toMatch(new RegExp(`^  ${cmd} `, 'm'));
  });
});

describe('usage errors found in review', () => {
  it('any option with a value given twice (not only --format), except the repeatable ones', async () => {
    await usageError(['check', 'ready.test', ...offline, '--no-probe', '--cloud', 'china', '--cloud', 'dod'], /--cloud is given more than once/);
    await usageError(['batch', list, ...offline, '--no-probe', '--fail-on', 'never', '--fail-on', 'error'], /--fail-on is given more than once/);
    await usageError(['check', 'ready.test', '--no-probe', '--timeout', '100', '--timeout', '200'], /--timeout is given more than once/);
    await usageError(['check', 'ready.test', '--no-probe', '--timeout', ' 5'], /--timeout must be a whole number/);
  });

  it('echoes what the user typed as data: no control or bidi character reaches the terminal', async () => {
    const hostile = '\u202e\x1b[2J\x9b';
    for (const args of [
      ['check', 'ready.test', '--tenant', hostile],
      ['check', 'ready.test', '--cloud', hostile],
      ['check', 'ready.test', `--no-such-${hostile}`],
      [`chek${hostile}`],
      ['batch', `/nonexistent/${hostile}`],
      ['report', `/nonexistent/${hostile}`],
    ]) {
      const r = await runInProcess(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).not.toMatch(/[\u202e\x1b\x9b]/);
      expect(r.stderr).toMatch(/\\u202e|\\x1b/);
    }
  });
});
