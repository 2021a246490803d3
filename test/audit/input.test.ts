import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InputError, MAX_LINE_LENGTH, openBatchInput, readBatchInput, sniffInputEncoding, stripComment, tenantPrefix, type BatchRow } from '../../src/audit/input.js';

async function rows(text: string | Buffer | Buffer[]): Promise<BatchRow[]> {
  const out: BatchRow[] = [];
  for await (const r of readBatchInput(Readable.from(Array.isArray(text) ? text : [text]))) out.push(r);
  return out;
}

const pairs = (r: BatchRow[]): [number, string][] => r.map((x) => [x.line, x.input]);
/** UTF-16 with its byte-order mark. */
const utf16 = (text: string, order: 'le' | 'be'): Buffer => {
  const le = Buffer.from(`\uFEFF${text}`, 'utf16le');
  return order === 'le' ? le : Buffer.from(le).swap16();
};
/** The start of an ELF executable, as /usr/bin/ls begins. */
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0]), Buffer.from('\n/lib64/ld-linux-x86-64.so.2\n')]);

describe('readBatchInput', () => {
  it('stops on abort: none at all when already aborted (the stream untouched), at once while waiting for a line', async () => {
    const aborted = new AbortController();
    aborted.abort();
    const untouched = new Readable({ read() {} });
    untouched.push('contoso.com\n');
    const none: BatchRow[] = [];
    for await (const r of readBatchInput(untouched, aborted.signal)) none.push(r);
    expect(none).toEqual([]);
    expect(untouched.listenerCount('data')).toBe(0);
    expect(untouched.readableFlowing).toBe(null);

    // A stream that stays open after one line, as stdin does.
    const open = new Readable({ read() {} });
    open.push('contoso.com\n');
    const controller = new AbortController();
    const got: string[] = [];
    for await (const r of readBatchInput(open, controller.signal)) {
      got.push(r.input);
      setImmediate(() => controller.abort()); // while the reader waits for a line that never comes
    }
    expect(got).toEqual(['contoso.com']);
  });

  it('reads a plain list: comments, blank lines, CRLF and BOM', async () => {
    const r = await rows('\uFEFFcontoso.com\r\n# a comment\r\n\r\n  fabrikam.com  \r\nnot a domain\r\ncontoso.com # trailing note\r\n');
    expect(r.map((x) => [x.line, x.input])).toEqual([[1, 'contoso.com'], [4, 'fabrikam.com'], [5, 'not a domain'], [6, 'contoso.com']]);
    // The row index counts rows: the comment and the blank line are not rows (--shard and --resume use it).
    expect(r.map((x) => x.index)).toEqual([0, 1, 2, 3]);
  });

  it('reads a CSV with a domain column, carrying the others as meta and the tenant column', async () => {
    const r = await rows('Client,Domain,Tenant,Notes\n"Contoso, Ltd",contoso.com,contoso.onmicrosoft.com,vip\nFabrikam,fabrikam.com,,\n');
    expect(r).toEqual([
      { line: 2, index: 0, input: 'contoso.com', tenant: 'contoso', meta: { Client: 'Contoso, Ltd', Notes: 'vip' } },
      { line: 3, index: 1, input: 'fabrikam.com', meta: { Client: 'Fabrikam', Notes: '' } },
    ]);
  });

  it('keeps one row per line even for broken CSV lines (a stray quote swallows nothing)', async () => {
    const r = await rows('domain,owner\n"unterminated.com,x\nok.com,y\n,z\nonly-one-cell.com\n');
    expect(r.map((x) => x.line)).toEqual([2, 3, 4, 5]);
    expect(r[1]?.input).toBe('ok.com');
    expect(r[2]?.input).toBe('');
    expect(r[3]?.input).toBe('only-one-cell.com');
  });

  it('reads an empty input as no rows', async () => {
    expect(await rows('')).toEqual([]);
    expect(await rows('# only a comment\n\n')).toEqual([]);
  });

  it.each([
    ['contoso', 'contoso'],
    ['Contoso.onmicrosoft.com', 'contoso'],
    ['bad prefix!', ''],
    ['', ''],
  ])('tenantPrefix(%j) = %j', (cell, out) => expect(tenantPrefix(cell)).toBe(out));

  it('strips comments in one pass: a 5 MB line of spaces gives its row (the old comment regex was quadratic)', () => {
    const spaces = ' '.repeat(5 * 1024 * 1024);
    expect(stripComment(`a${spaces}b`)).toBe(`a${spaces}b`);
    expect(stripComment(`contoso.com${spaces}# note`)).toBe('contoso.com');
    expect(stripComment(`contoso.com${spaces}x#y`)).toBe(`contoso.com${spaces}x#y`);
    expect(stripComment('a#b c\t#d # e')).toBe('a#b c');
  });

  it('reads a 5 MB line as one row, cut at MAX_LINE_LENGTH with a marker, and the next line as it is', async () => {
    const line = `contoso.com${' '.repeat(5 * 1024 * 1024)}fabrikam.com # note`;
    const r = await rows(`${line}\nready.test\n`);
    expect(r.map((x) => x.line)).toEqual([1, 2]);
    expect(r[0]?.input.startsWith('contoso.com   ')).toBe(true);
    expect(r[0]?.input.length).toBeLessThan(MAX_LINE_LENGTH + 100);
    expect(r[0]?.input).toMatch(new RegExp(`line cut: ${line.length} characters`));
    expect(r[1]?.input).toBe('ready.test');
    // A comment that starts before the cut still ends the name.
    expect(pairs(await rows(`contoso.com # ${'x'.repeat(200_000)}\n`))).toEqual([[1, 'contoso.com']]);
  });

  it('keeps a lone CR inside its line: one input line, one row (LF and CRLF end lines)', async () => {
    const r = await rows('a.test\rb.test\nc.test\r\nd.test\r\r\ne.test');
    expect(pairs(r)).toEqual([[1, 'a.test\rb.test'], [2, 'c.test'], [3, 'd.test'], [4, 'e.test']]);
    const csv = await rows('domain,note\nx.test,one\rtwo\ny.test,three\n');
    expect(csv.map((x) => [x.line, x.input, x.meta?.note])).toEqual([[2, 'x.test', 'one\rtwo'], [3, 'y.test', 'three']]);
  });

  it('decodes UTF-16 LE and BE with a BOM, even split into one-byte chunks', async () => {
    const text = 'Domain,Client\r\nbücher.example,Bücher\r\ncontoso.com,C\r\n';
    const expected = [[2, 'bücher.example'], [3, 'contoso.com']];
    for (const order of ['le', 'be'] as const) {
      const bytes = utf16(text, order);
      expect(pairs(await rows(bytes))).toEqual(expected);
      expect(pairs(await rows([...bytes].map((b) => Buffer.from([b]))))).toEqual(expected);
    }
    // A UTF-8 BOM split across chunks is dropped too.
    expect(pairs(await rows([Buffer.from([0xef]), Buffer.from([0xbb, 0xbf]), Buffer.from('x.test\n')]))).toEqual([[1, 'x.test']]);
  });

  it.each([
    ['an ELF executable', ELF, /NUL bytes/],
    ['UTF-16 without a BOM', Buffer.from('contoso.com\n', 'utf16le'), /NUL bytes/],
    ['UTF-32 with a BOM', Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]), /UTF-32/],
    ['control bytes without NUL', Buffer.from(Array.from({ length: 600 }, (_, i) => (i % 2 ? 0x01 : 0x41))), /not text \(50%/],
    ['random high bytes', Buffer.from(Array.from({ length: 600 }, (_, i) => 0x80 + ((i * 37) % 0x7f))), /not text/],
  ])('refuses %s with an InputError before any row', async (_what, bytes, message) => {
    const got: BatchRow[] = [];
    const read = async (): Promise<void> => {
      for await (const r of readBatchInput(Readable.from([bytes]))) got.push(r);
    };
    await expect(read()).rejects.toThrow(InputError);
    await expect(read()).rejects.toThrow(message);
    expect(got).toEqual([]);
    await expect(openBatchInput(Readable.from([bytes]))).rejects.toThrow(message);
  });

  it('accepts text with a few undecodable bytes (Latin-1) and ESC/tab characters as rows', async () => {
    const latin1 = Buffer.from('caf\xe9.example\ncontoso.com\t# ok\n\x1b[31mred.test\n', 'latin1');
    expect(sniffInputEncoding(latin1)).toEqual({ encoding: 'utf-8' });
    expect(pairs(await rows(latin1))).toEqual([[1, 'caf\uFFFD.example'], [2, 'contoso.com'], [3, '\x1b[31mred.test']]);
  });

  it('openBatchInput gives the stream back with nothing lost (large, tiny and empty inputs)', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => `d${i}.test`);
    const big = Readable.from([Buffer.from(many.slice(0, 2500).join('\n') + '\n'), Buffer.from(many.slice(2500).join('\n'))]);
    const got: string[] = [];
    for await (const r of readBatchInput(await openBatchInput(big))) got.push(r.input);
    expect(got).toEqual(many);
    for (const tiny of ['a', 'a.b', '']) {
      const out: string[] = [];
      for await (const r of readBatchInput(await openBatchInput(Readable.from([Buffer.from(tiny)])))) out.push(r.input);
      expect(out).toEqual(tiny ? [tiny] : []);
    }
  });
});
