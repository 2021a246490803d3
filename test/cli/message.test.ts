import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageJsonDocument } from '../../src/report/message.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { runInProcess } from '../support/cli.js';
import { FIXTURES } from '../support/fixtures.js';
import { buildMessage, createDkimKey, publishKey, signMessage, startMessageDns } from '../support/messages.js';
import { microsoftTrace, withTrace } from '../message/m365-headers.js';

/**
 * `m365audit message` in-process: every format, the exit codes (0, 1 on an
 * error finding, --fail-on, 2 for usage and input errors, a non-message in
 * one line), stdin and files, --ip, --audit, --output, and a 50 MB message
 * with an attachment read as a stream.
 */
let server: TestDnsServer;
let dir: string;
beforeAll(async () => {
  [server, dir] = await Promise.all([startMessageDns(), mkdtemp(join(tmpdir(), 'm365audit-message-'))]);
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const dnsArgs = (): string[] => ['--dns-server', server.server, '--timeout', '1500', '--retries', '0'];
const JUNKED = `${FIXTURES}message/m365-junked.eml`;
const doc = (stdout: string): MessageJsonDocument => JSON.parse(stdout) as MessageJsonDocument;

async function passedMessage(selector: string): Promise<string> {
  const key = createDkimKey(2048);
  publishKey(server, selector, 'sender.test', key.record);
  const signed = await signMessage(buildMessage({ from: 'Megan <megan@sender.test>' }), [{ domain: 'sender.test', selector, key }]);
  return withTrace(microsoftTrace({
    ip: '192.0.2.10', mailFrom: 'megan@sender.test', headerFrom: 'sender.test', spf: 'pass', dkim: 'pass', dkimDomain: 'sender.test', dmarc: 'pass', action: 'none', compauth: 'pass', reason: '100', scl: 1, sfv: 'NSPM', dest: 'I',
  }), signed);
}

describe('message: formats and exit codes', () => {
  it('table (the default): the diagnosis first, exit 1 for a junked message (error findings)', async () => {
    const r = await runInProcess(['message', JUNKED, ...dnsArgs()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Message "Café invoice for March" from Alice Éé <alice@fabrikam.example>');
    expect(lines[2]).toBe('Diagnosis');
    expect(lines[3]).toMatch(/^ {2}Junked: /);
    expect(r.stdout).toMatch(/cause MESSAGE_SPF_FAIL/);
    expect(r.stdout.indexOf('Diagnosis')).toBeLessThan(r.stdout.indexOf('Route (oldest first'));
  });

  it('an NDR whose DSN fields carry terminal escapes: the table shows them as text, not control bytes', async () => {
    const ndr = await readFile(`${FIXTURES}message/ndr/ndr-5.4.1.eml`, 'utf8');
    const hostile = ndr.replace('Action: failed', 'Action: failed\u001b]0;OWNED\u0007\u001b[31mRED');
    const r = await runInProcess(['message', '-', ...dnsArgs(), '--fail-on', 'never'], { input: hostile });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Failed recipients/);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it('--fail-on never exits 0; a message that passes exits 0 (json), and --fail-on warning stays 0 with no warning', async () => {
    expect((await runInProcess(['message', JUNKED, ...dnsArgs(), '--fail-on', 'never'])).code).toBe(0);
    const input = await passedMessage('cli-pass');
    const r = await runInProcess(['message', '-', '--format', 'json', '--fail-on', 'warning', ...dnsArgs()], { input });
    expect(r.code).toBe(0);
    const d = doc(r.stdout);
    expect(d).toMatchObject({ schemaVersion: 1, tool: { name: 'm365audit' }, report: { kind: 'message', findings: [], diagnosis: { outcome: 'delivered', primary: null }, audit: null, auditedDomain: null } });
    expect(d.run).toMatchObject({ resolvers: [server.server], options: { input: '-', ip: null, audit: false, timeoutMs: 1500, retries: 0 } });
  });

  it('markdown for a ticket: diagnosis, verdict table, the fix as a record in a fenced block; html: one page, no script', async () => {
    const md = await runInProcess(['message', JUNKED, '--format', 'markdown', ...dnsArgs(), '--ip', '203.0.113.7']);
    expect(md.code).toBe(1);
    const lines = md.stdout.split('\n');
    expect(lines[0]).toMatch(/^## Message /);
    expect(lines[2]).toMatch(/^\*\*Diagnosis\.\*\* Junked: /);
    expect(md.stdout).toContain('| Check | Recorded by the receiver | m365audit, today\'s DNS |');
    const html = await runInProcess(['message', JUNKED, '--format', 'html', ...dnsArgs()]);
    expect(html.code).toBe(1);
    expect(html.stdout.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.stdout).toContain("default-src 'none'");
    expect(html.stdout).not.toMatch(/<script/i);
    expect(html.stdout.indexOf('id="diagnosis-h"')).toBeLessThan(html.stdout.indexOf('id="findings-h"'));
  });

  it('markdown: the SPF fix for sender.test is a copyable record inside a code fence', async () => {
    const input = withTrace(microsoftTrace({ ip: '203.0.113.7', mailFrom: 'megan@sender.test', headerFrom: 'sender.test', spf: 'fail', dkim: 'none', dmarc: 'fail', action: 'oreject', compauth: 'fail', reason: '000', scl: 5, sfv: 'SPM', dest: 'J' }), buildMessage({ from: 'megan@sender.test' }));
    const r = await runInProcess(['message', '-', '--format', 'markdown', ...dnsArgs()], { input });
    const block = /```dns\n(.*)\n```/.exec(r.stdout);
    expect(block?.[1]).toBe('sender.test. 3600 IN TXT "v=spf1 ip4:192.0.2.10 ?ip4:192.0.2.20 ~ip4:192.0.2.30 ip4:203.0.113.7 -all exp=why.%{d}"');
  });

  it('--output writes the file and nothing to stdout', async () => {
    const out = join(dir, 'report.json');
    const r = await runInProcess(['message', JUNKED, '--format', 'json', '--output', out, ...dnsArgs()]);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: '' });
    expect(doc(await readFile(out, 'utf8')).report.diagnosis.primary).toBe('MESSAGE_SPF_FAIL');
  });

  it('an NDR: bounced, NDR_FAILED_RECIPIENT with the status, exit 1', async () => {
    const r = await runInProcess(['message', `${FIXTURES}message/ndr/ndr-5.7.57.eml`, '--format', 'json', ...dnsArgs()]);
    expect(r.code).toBe(1);
    const d = doc(r.stdout).report;
    expect(d).toMatchObject({ kind: 'ndr', diagnosis: { outcome: 'bounced', primary: 'NDR_FAILED_RECIPIENT' } });
    expect(d.diagnosis.causes[0]).toMatchObject({ code: 'NDR_FAILED_RECIPIENT', statusCode: '5.7.57', explanationId: '5.7.57' });
  });

  it('--ip: SPF is checked for the address given (source option); --audit attaches the From domain\'s audit and counts its errors', async () => {
    const input = await passedMessage('cli-audit');
    const ip = await runInProcess(['message', '-', '--format', 'json', '--ip', '192.0.2.30', ...dnsArgs()], { input });
    const spf = doc(ip.stdout).report.message;
    expect(spf.connectingIp).toMatchObject({ ip: '192.0.2.30', source: 'option' });
    expect(spf.verdicts?.spf).toMatchObject({ result: 'softfail' });
    expect(ip.code).toBe(1);
    const audited = await runInProcess(['message', '-', '--format', 'json', '--audit', ...dnsArgs()], { input });
    const d = doc(audited.stdout);
    expect(d.report.findings).toEqual([]);
    expect(d.report).toMatchObject({ auditedDomain: 'sender.test', audit: { domain: 'sender.test' } });
    // sender.test is not set up for Microsoft 365 (its MX and SPF are its own): the audit's errors set the exit code.
    expect(d.report.audit?.findings.some((f) => f.severity === 'error')).toBe(true);
    expect(audited.code).toBe(1);
    expect(d.run?.options.audit).toBe(true);
  });
});

describe('message: usage and input errors exit 2 with one line', () => {
  it.each([
    ['a PNG image', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]), /^m365audit: .*photo\.png: the input is binary data \(a PNG image\), not a message\n$/],
    ['JSON', Buffer.from('{"domains": []}\n'), /^m365audit: .*photo\.png: the input does not start with a header field \(it looks like JSON\), not a message\n$/],
    ['prose', Buffer.from('Hello,\nplease find the report attached.\nThanks\n'), /^m365audit: .*photo\.png: .*not a message\n$/],
  ])('%s: one line, exit 2, nothing on stdout', async (_what, bytes, line) => {
    const file = join(dir, 'photo.png');
    await writeFile(file, bytes);
    const r = await runInProcess(['message', file, ...dnsArgs()]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(line);
  });

  it.each([
    ['empty stdin', ['message', '-'], /^m365audit: standard input: the input is empty/],
    ['no file argument and empty stdin', ['message'], /^m365audit: standard input: the input is empty/],
    ['a missing file', ['message', '/nonexistent/x.eml'], /^m365audit: cannot read \/nonexistent\/x\.eml: ENOENT$/],
    ['a directory', ['message', '.'], /^m365audit: cannot read \.: it is a directory$/],
    ['a bad --ip', ['message', '-', '--ip', '999.1.1.1'], /^m365audit: --ip: not an IP address: "999\.1\.1\.1"$/],
    ['an unknown format', ['message', '-', '--format', 'csv'], /--format.*Allowed choices are table, json, markdown, html/],
  ])('%s', async (_what, args, line) => {
    const r = await runInProcess([...args, ...dnsArgs()], { input: '' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(line);
  });
});

describe('message: a 50 MB message with an attachment', () => {
  it('is read from the file as a stream: the DKIM body hash covers all of it, the report keeps sizes only', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'big', 'sender.test', key.record);
    const head = buildMessage({ from: 'Megan <megan@sender.test>', body: '' }).replace('Content-Type: text/plain; charset=utf-8', 'Content-Type: multipart/mixed; boundary="att"');
    const line = Buffer.from(`${'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0'}\r\n`);
    const block = Buffer.concat(Array.from({ length: 862 }, () => line));
    const count = Math.ceil((50 * 1024 * 1024) / block.length);
    const start = Buffer.from('--att\r\nContent-Type: text/plain\r\n\r\nsee the attachment\r\n--att\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n');
    const end = Buffer.from('--att--\r\n');
    function* body(): Generator<Buffer> {
      yield Buffer.from(head);
      yield start;
      for (let i = 0; i < count; i++) yield block;
      yield end;
    }
    const signer = { signingDomain: 'sender.test', selector: 'big', privateKey: key.privateKey };
    const signed = await dkimSign(Readable.from(body()), { ...signer, signTime: new Date(), signatureData: [signer] });
    expect(signed.errors).toEqual([]);
    const file = join(dir, 'big.eml');
    const out = createWriteStream(file);
    out.write(signed.signatures);
    for (const part of body()) if (!out.write(part)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    out.end();
    await finished(out);
    const r = await runInProcess(['message', file, '--format', 'json', ...dnsArgs()]);
    expect(r.stderr).toBe('');
    const d = doc(r.stdout).report;
    expect(d.input.bodyBytes).toBeGreaterThan(50 * 1024 * 1024);
    expect(d.message.verdicts?.dkim?.signatures[0]).toMatchObject({ domain: 'sender.test', selector: 'big', result: 'pass', bodyHash: 'match' });
    // Sizes and verdicts, never the body: the attachment's text is nowhere in the output.
    expect(r.stdout).not.toContain('QUJDREVGR0hJSktMTU5PUFFS');
    expect(r.stdout).not.toContain('see the attachment');
    expect(r.stdout.length).toBeLessThan(64 * 1024);
  }, 60_000);
});
