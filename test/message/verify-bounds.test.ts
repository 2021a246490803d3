import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryDnsClient } from '../../src/dns/memory.js';
import { MAX_BLANK_RUN_BYTES, MAX_HEADER_BYTES, MAX_LINE_BYTES, startDkimVerification, verifyDkim, type DkimVerification } from '../../src/message/dkim-verify.js';

/**
 * The bounds of src/message/dkim-verify.ts (MessageGuard): inputs that make
 * mailauth quadratic or hold memory end in a typed problem instead, random
 * input never makes verification throw, and a 50 MB message is verified in
 * bounded memory (a child process with --expose-gc measures it).
 */
const ctx = { dns: createMemoryDnsClient({}) };
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Writes `count` copies of `piece` in 64 KiB chunks, as a file stream would. */
async function stream(head: string, piece: string, count: number): Promise<DkimVerification> {
  const v = startDkimVerification(ctx);
  await v.write(Buffer.from(head));
  const block = Buffer.from(piece.repeat(Math.max(1, Math.floor(65_536 / piece.length))));
  const per = block.length / piece.length;
  for (let done = 0; done < count; done += per) await v.write(block);
  return v.end();
}

describe('inputs mailauth cannot take in linear time or bounded memory', () => {
  it('bare CRs in the header (/[\\r\\n]+$/ in mailauth is quadratic in them): header-malformed', async () => {
    const v = await stream('From: a@sender.test\r\nSubject: x', '\r', 400_000);
    expect(v.problem?.kind).toBe('header-malformed');
    expect(v.signatures).toEqual([]);
  });

  it('a field folded over 200,000 lines (mailauth re-copies each line): header-malformed', async () => {
    const v = await stream('From: a@sender.test\r\nTo: a@b.test', '\r\n x', 200_000);
    expect(v.problem).toEqual({ kind: 'header-malformed', message: 'the header fields are folded over too many lines, so no signature is verified' });
  });

  it('a 5,000-recipient To folded one address a line is still read', async () => {
    const to = Array.from({ length: 5000 }, (_, i) => ` user${i}@contoso.example,`).join('\r\n');
    const v = await verifyDkim(ctx, `From: a@sender.test\r\nTo:${to}\r\n\r\nhi\r\n`);
    expect(v.problem).toBeNull();
  });

  it(`a header section over ${MAX_HEADER_BYTES} bytes: header-too-large`, async () => {
    const v = await stream('From: a@sender.test\r\n', 'X-Filler: yes\r\n', 100_000);
    expect(v.problem?.kind).toBe('header-too-large');
  });

  it(`a body line over ${MAX_LINE_BYTES} bytes: line-too-long`, async () => {
    const v = await stream('From: a@sender.test\r\n\r\n', 'A', 2 * MAX_LINE_BYTES);
    expect(v.problem?.kind).toBe('line-too-long');
  });

  it(`more than ${MAX_BLANK_RUN_BYTES} bytes of blank lines (held back by the body hash): blank-run-too-long`, async () => {
    for (const blank of ['\n', '\r\n', ' \r\n']) {
      const v = await stream('From: a@sender.test\r\n\r\ntext\r\n', blank, 8 * MAX_BLANK_RUN_BYTES);
      expect([JSON.stringify(blank), v.problem?.kind]).toEqual([JSON.stringify(blank), 'blank-run-too-long']);
    }
  });

  it('blank lines below the bound are hashed as usual', async () => {
    const v = await verifyDkim(ctx, `From: a@sender.test\r\n\r\ntext\r\n${'\r\n'.repeat(1000)}more\r\n`);
    expect(v.problem).toBeNull();
  });
});

describe('random and hostile input', () => {
  const fragment = fc.constantFrom(
    'DKIM-Signature: ', 'v=1; ', 'a=rsa-sha256; ', 'a=ed25519-sha256; ', 'c=relaxed/simple; ', 'd=sender.test; ', 'd=; ', 's=s1; ', 's=..; ',
    'h=from:to; ', 'h=; ', 'l=5; ', 'l=-1; ', 'x=1; ', 't=99999999999; ', 'bh=AAAA; ', 'b=AAAA; ', 'b=; ', 'i=@x.test; ', '(', ')', '"', '\\',
    'From: a@sender.test', 'From: ', 'ARC-Seal: i=1; ', 'ARC-Message-Signature: i=1; d=a.test; s=s; bh=x; ', 'Content-Type: multipart/mixed; boundary=b',
    '\r\n', '\n', '\r', ' ', '\t', ':', '--b\r\n', '\r\n\r\n', '\u00ff', '\u0000',
  );
  it('never rejects, and every verdict or problem is typed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fragment, fc.string({ maxLength: 20 })), { maxLength: 80 }), fc.integer({ min: 1, max: 64 }), async (parts, size) => {
        const bytes = Buffer.from(parts.join(''), 'latin1');
        const v = startDkimVerification({ dns: createMemoryDnsClient({ 's1._domainkey.sender.test': { TXT: ['v=DKIM1; p='] } }) });
        for (let at = 0; at < bytes.length; at += size) await v.write(bytes.subarray(at, at + size));
        const r = await v.end();
        expect(r.signatures.length).toBeLessThanOrEqual(10);
        for (const s of r.signatures) expect(['pass', 'fail', 'neutral', 'policy', 'temperror', 'permerror']).toContain(s.result);
        expect(r.signatures.every((s) => s.result !== 'pass')).toBe(true);
      }),
      { numRuns: 300, seed: 17 },
    );
  });

  it('random bytes never reject', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (bytes) => {
        const r = await verifyDkim(ctx, bytes);
        expect(r.signatures.every((s) => s.result !== 'pass')).toBe(true);
      }),
      { numRuns: 200, seed: 18 },
    );
  });
});

/** A child process (node --expose-gc, the built dist/) signs and then verifies a 50 MB message, writing 64 KiB chunks, and reports memory in use after a GC every 2 MB. */
const CHILD = `
import { Readable } from 'node:stream';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { createMemoryDnsClient } from './dist/src/dns/memory.js';
import { startDkimVerification } from './dist/src/message/dkim-verify.js';
import { buildMessage, createDkimKey } from './dist/test/support/messages.js';
const MB = 1024 * 1024;
const key = createDkimKey(2048);
const head = buildMessage({ from: 'megan@sender.test', body: '' });
const line = Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\\r\\n');
const chunk = Buffer.concat(Array.from({ length: 862 }, () => line));
const count = Math.ceil(50 * MB / chunk.length);
function* parts() { yield Buffer.from(head); for (let i = 0; i < count; i++) yield Buffer.from(chunk); }
const signed = await dkimSign(Readable.from(parts()), { signTime: new Date(), signatureData: [{ signingDomain: 'sender.test', selector: 's1', privateKey: key.privateKey }] });
const dns = createMemoryDnsClient({ 's1._domainkey.sender.test': { TXT: [key.record] } });
const used = () => { gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
const base = used();
let peak = 0;
const v = startDkimVerification({ dns });
let written = 0;
function* message() { yield Buffer.from(signed.signatures); yield* parts(); }
for (const part of message()) {
  await v.write(part);
  written += part.length;
  if (written % (2 * MB) < part.length) peak = Math.max(peak, used() - base);
}
const r = await v.end();
console.log(JSON.stringify({ written, peak, result: r.signatures[0]?.result, bodyHash: r.signatures[0]?.bodyHash }));
`;

describe('a 50 MB message', () => {
  it('is hashed as it streams: memory in use stays under 16 MB above the start', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD], { cwd: ROOT, maxBuffer: 1024 * 1024, timeout: 120_000 });
    const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { written: number; peak: number; result: string; bodyHash: string };
    expect(out.written).toBeGreaterThan(50 * 1024 * 1024);
    expect(out).toMatchObject({ result: 'pass', bodyHash: 'match' });
    expect(out.peak).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);
});
