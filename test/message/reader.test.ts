import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_PREFIX_BYTES, readMessage, readMessageBytes } from '../../src/message/reader.js';
import type { ReadMessage } from '../../src/message/types.js';
import { FIXTURES } from '../support/fixtures.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const JUNKED = readFileSync(`${FIXTURES}message/m365-junked.eml`);

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Reads `bytes` in chunks of `size` and returns the result and what the tee saw, joined. */
async function readIn(bytes: Uint8Array, size: number, options: Parameters<typeof readMessage>[1] = {}): Promise<{ read: ReadMessage; teed: Uint8Array }> {
  const seen: Uint8Array[] = [];
  const read = await readMessage(chunks(bytes, size), { ...options, tee: (c) => void seen.push(c.slice()) });
  return { read, teed: Buffer.concat(seen) };
}

const facts = (r: ReadMessage): unknown => ({ ...r, header: dec(r.header), bodyPrefix: dec(r.bodyPrefix) });

describe('readMessage: header block, body prefix, sizes', () => {
  it('splits a CRLF message at the blank line, which belongs to neither part', async () => {
    const msg = 'From: a@example.com\r\nSubject: hi\r\n\r\nbody line\r\n';
    const { read, teed } = await readIn(enc(msg), 1024);
    expect(dec(read.header)).toBe('From: a@example.com\r\nSubject: hi\r\n');
    expect(dec(read.bodyPrefix)).toBe('body line\r\n');
    expect(read).toMatchObject({ headerBytes: 34, bodyBytes: 11, headersOnly: false, headerTruncated: false, bodyTruncated: false, skippedBytes: 0, lineEnding: 'crlf', totalBytes: msg.length });
    expect(dec(teed)).toBe(msg);
  });

  it('reads LF line ends the same way and says so', async () => {
    const { read } = await readIn(enc('From: a@example.com\nSubject: hi\n\nbody\n'), 1024);
    expect(dec(read.header)).toBe('From: a@example.com\nSubject: hi\n');
    expect(dec(read.bodyPrefix)).toBe('body\n');
    expect(read.lineEnding).toBe('lf');
    const mixed = readMessageBytes(enc('From: a@example.com\r\nSubject: hi\n\nbody'));
    expect(mixed.lineEnding).toBe('mixed');
  });

  it('a header-only paste (no blank line) is all header, with no body', async () => {
    const { read } = await readIn(enc('Received: from x by y; Tue, 4 Mar 2025 10:15:04 +0000\nFrom: a@example.com'), 7);
    expect(dec(read.header)).toBe('Received: from x by y; Tue, 4 Mar 2025 10:15:04 +0000\nFrom: a@example.com');
    expect(read).toMatchObject({ headersOnly: true, bodyBytes: 0, bodyPrefix: new Uint8Array(0) });
  });

  it('skips leading blank lines, white space, a UTF-8 BOM and an mbox From line, and says how many bytes; the tee starts at the first field', async () => {
    const msg = '\uFEFF\r\n  \t\nFrom MAILER-DAEMON  Thu Apr 29 23:34:45 2015\nFrom: a@example.com\n\nx';
    const { read, teed } = await readIn(enc(msg), 3);
    expect(dec(read.header)).toBe('From: a@example.com\n');
    expect(read.mboxFromLine).toBe(true);
    expect(read.skippedBytes).toBe(enc(msg).length - enc('From: a@example.com\n\nx').length);
    expect(dec(teed)).toBe('From: a@example.com\n\nx');
  });

  it('a field named From (with its colon) is not taken for an mbox postmark', async () => {
    const { read, teed } = await readIn(enc('\n\nFrom: a@example.com\n\n'), 2);
    expect(read.mboxFromLine).toBe(false);
    expect(dec(read.header)).toBe('From: a@example.com\n');
    expect(dec(teed)).toBe('From: a@example.com\n\n');
    // The stream ends inside the held-back "From": those bytes are the header.
    expect(dec(readMessageBytes(enc('  Fro')).header)).toBe('Fro');
  });

  it('gives the same result and the same tee bytes wherever the chunks are cut (CRLF split across chunks included)', async () => {
    const whole = readMessageBytes(JUNKED);
    const crlf = enc(dec(JUNKED).replace(/\n/g, '\r\n'));
    const wholeCrlf = readMessageBytes(crlf);
    for (const size of [1, 2, 3, 5, 64, 4096]) {
      const a = await readIn(JUNKED, size);
      expect(facts(a.read)).toEqual(facts(whole));
      expect(Buffer.compare(a.teed, JUNKED)).toBe(0);
      const b = await readIn(crlf, size);
      expect(facts(b.read)).toEqual(facts(wholeCrlf));
      expect(Buffer.compare(b.teed, crlf)).toBe(0);
    }
    expect(wholeCrlf.headerBytes).toBe(dec(crlf).indexOf('\r\n\r\n') + 2);
    expect(dec(wholeCrlf.bodyPrefix)).toBe('Hello Bob, the invoice is attached.\r\n');
  });

  it('caps the header block at a line end and says it was cut; the body is still found', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `X-Filler-${i}: ${'v'.repeat(50)}\n`).join('');
    const { read } = await readIn(enc(`${lines}\nbody`), 100, { maxHeaderBytes: 1000 });
    expect(read.headerTruncated).toBe(true);
    expect(read.headerBytes).toBe(lines.length);
    expect(read.header.length).toBeLessThanOrEqual(1000);
    expect(dec(read.header).endsWith('\n')).toBe(true);
    expect(dec(read.header).split('\n').filter((l) => l.length > 0).every((l) => /^X-Filler-\d+: v{50}$/.test(l))).toBe(true);
    expect(dec(read.bodyPrefix)).toBe('body');
  });

  it('a first line longer than the cap is kept cut (not dropped), so the input can still be judged', async () => {
    const { read } = await readIn(enc(`X-Long: ${'v'.repeat(5000)}`), 512, { maxHeaderBytes: 1000 });
    expect(read).toMatchObject({ headerTruncated: true, headerBytes: 5008 });
    expect(dec(read.header)).toBe(`X-Long: ${'v'.repeat(992)}`);
  });

  it('keeps the first maxBodyBytes of the body and counts the rest', async () => {
    const { read } = await readIn(enc(`From: a@example.com\n\n${'0123456789'.repeat(100)}`), 33, { maxBodyBytes: 25 });
    expect(dec(read.bodyPrefix)).toBe('0123456789012345678901234');
    expect(read).toMatchObject({ bodyBytes: 1000, bodyTruncated: true });
  });

  it('awaits a tee that returns a promise before reading the next chunk (back-pressure)', async () => {
    const events: string[] = [];
    let pulled = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (const part of ['From: a@example.com\n', '\n', 'body']) {
        events.push(`pull ${pulled++}`);
        yield enc(part);
      }
    }
    await readMessage(source(), {
      tee: async (c) => {
        events.push(`tee start ${dec(c).length}`);
        await new Promise<void>((resolve) => setImmediate(resolve));
        events.push('tee end');
      },
    });
    expect(events).toEqual(['pull 0', 'tee start 20', 'tee end', 'pull 1', 'tee start 1', 'tee end', 'pull 2', 'tee start 4', 'tee end']);
  });

  it('an empty input and white space only give an empty header', () => {
    expect(readMessageBytes(new Uint8Array(0))).toMatchObject({ headerBytes: 0, bodyBytes: 0, headersOnly: true, totalBytes: 0, lineEnding: 'none' });
    expect(readMessageBytes(enc(' \r\n\t\n'))).toMatchObject({ headerBytes: 0, skippedBytes: 5 });
  });
});

describe('readMessage: a 50 MB message in bounded memory', () => {
  it('keeps 2 MiB of body, counts 50 MiB, streams every byte to the tee, and copies what it keeps (the source reuses its buffer)', async () => {
    const header = enc('From: a@example.com\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n');
    const CHUNK = 64 * 1024;
    const CHUNKS = 800; // 50 MiB of body
    const buffer = new Uint8Array(CHUNK);
    const sourceHash = createHash('sha256');
    async function* source(): AsyncGenerator<Uint8Array> {
      sourceHash.update(header);
      yield header;
      for (let i = 0; i < CHUNKS; i++) {
        buffer.fill(i % 251); // the same buffer every time, refilled: what a reused read buffer does
        sourceHash.update(buffer);
        yield buffer;
      }
    }
    const teeHash = createHash('sha256');
    let teed = 0;
    let calls = 0;
    const before = process.memoryUsage();
    let peak = 0;
    const read = await readMessage(source(), {
      tee: (c) => {
        teeHash.update(c);
        teed += c.length;
        if (++calls % 50 === 0) {
          const m = process.memoryUsage();
          peak = Math.max(peak, m.heapUsed + m.arrayBuffers - before.heapUsed - before.arrayBuffers);
        }
      },
    });
    expect(read.bodyBytes).toBe(CHUNK * CHUNKS);
    expect(read.bodyPrefix.length).toBe(MAX_BODY_PREFIX_BYTES);
    expect(read.bodyTruncated).toBe(true);
    expect(dec(read.header)).toBe('From: a@example.com\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n');
    expect(teed).toBe(header.length + CHUNK * CHUNKS);
    expect(teeHash.digest('hex')).toBe(sourceHash.digest('hex'));
    // The kept prefix holds chunk 0..31's bytes, not the buffer's last contents.
    expect(read.bodyPrefix[0]).toBe(0);
    expect(read.bodyPrefix[CHUNK * 31]).toBe(31);
    expect(read.bodyPrefix[MAX_BODY_PREFIX_BYTES - 1]).toBe(31);
    // Headroom: a reader that kept the message would have grown by 50 MiB.
    expect(calls).toBe(CHUNKS + 1);
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  });
});
