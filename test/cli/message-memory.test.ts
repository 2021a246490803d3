import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * `m365audit message -` on a 50 MB attachment-laden message, in a child
 * process (node --expose-gc, the built dist/) so that memory can be measured
 * alone: the CLI program runs with a stdin that makes the message as it is
 * read (never held whole), against the loopback DNS server over
 * fixtures/message, and memory in use (heap and array buffers, after a GC)
 * is sampled every 2 MB the command reads.
 */
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const CHILD = `
import { Readable, Writable } from 'node:stream';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { runProgram } from './dist/src/cli/program.js';
import { startDnsServer } from './dist/src/sandbox/dns-server.js';
import { ZoneStore } from './dist/src/sandbox/zone-store.js';
import { buildMessage, createDkimKey, publishKey } from './dist/test/support/messages.js';
const MB = 1024 * 1024;
const server = await startDnsServer({ zones: new ZoneStore().loadDir('fixtures/message') });
const key = createDkimKey(2048);
publishKey(server, 'mem', 'sender.test', key.record);
const head = buildMessage({ from: 'megan@sender.test', body: '' }).replace('text/plain; charset=utf-8', 'multipart/mixed; boundary="a"');
const line = Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\\r\\n');
const block = Buffer.concat(Array.from({ length: 862 }, () => line));
const count = Math.ceil(50 * MB / block.length);
function* body() { yield Buffer.from(head + '--a\\r\\nContent-Type: application/octet-stream\\r\\nContent-Transfer-Encoding: base64\\r\\n\\r\\n'); for (let i = 0; i < count; i++) yield Buffer.from(block); yield Buffer.from('--a--\\r\\n'); }
const signed = await dkimSign(Readable.from(body()), { signTime: new Date(), signatureData: [{ signingDomain: 'sender.test', selector: 'mem', privateKey: key.privateKey }] });
const used = () => { gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
const base = used();
let peak = 0;
let read = 0;
function* message() {
  yield Buffer.from(signed.signatures);
  for (const part of body()) {
    read += part.length;
    if (read % (2 * MB) < part.length) peak = Math.max(peak, used() - base);
    yield part;
  }
}
let out = '';
const stdout = new Writable({ write(c, _e, done) { out += c; done(); } });
const stderr = new Writable({ write(c, _e, done) { process.stderr.write(c); done(); } });
const io = { stdin: Readable.from(message()), stdout, stderr, env: { NO_COLOR: '1' }, onInterrupt: () => () => undefined, exitNow: () => undefined, peakRssMiB: () => 0, cpuMs: () => 0 };
const code = await runProgram(['message', '-', '--format', 'json', '--dns-server', server.server, '--timeout', '1500', '--retries', '0'], io);
await server.close();
const r = JSON.parse(out).report;
console.log(JSON.stringify({ code, read, peak, bodyBytes: r.input.bodyBytes, dkim: r.message.verdicts.dkim.signatures[0] }));
`;

describe('message: a 50 MB message in bounded memory', () => {
  it('from stdin, made as it is read: memory in use stays under 24 MB above the start; the DKIM body hash covers the 50 MB', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD], { cwd: ROOT, maxBuffer: 1024 * 1024, timeout: 120_000 });
    const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { code: number; read: number; peak: number; bodyBytes: number; dkim: { result: string; bodyHash: string } };
    expect(out.read).toBeGreaterThan(50 * 1024 * 1024);
    expect(out.bodyBytes).toBeGreaterThan(50 * 1024 * 1024);
    expect(out.dkim).toMatchObject({ result: 'pass', bodyHash: 'match' });
    expect(out.code).toBe(0);
    expect(out.peak).toBeLessThan(24 * 1024 * 1024);
  }, 120_000);
});
