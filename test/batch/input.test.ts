import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBatchInput, tenantPrefix, type BatchRow } from '../../src/batch/input.js';

async function rows(text: string | Buffer): Promise<BatchRow[]> {
  const out: BatchRow[] = [];
  for await (const r of readBatchInput(Readable.from([text]))) out.push(r);
  return out;
}

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
      setTimeout(() => controller.abort(), 20);
    }
    expect(got).toEqual(['contoso.com']);
  });

  it('reads a plain list: comments, blank lines, CRLF and BOM', async () => {
    const r = await rows('\uFEFFcontoso.com\r\n# a comment\r\n\r\n  fabrikam.com  \r\nnot a domain\r\ncontoso.com # trailing note\r\n');
    expect(r.map((x) => [x.line, x.input])).toEqual([[1, 'contoso.com'], [4, 'fabrikam.com'], [5, 'not a domain'], [6, 'contoso.com']]);
  });

  it('reads a CSV with a domain column, carrying the others as meta and the tenant column', async () => {
    const r = await rows('Client,Domain,Tenant,Notes\n"Contoso, Ltd",contoso.com,contoso.onmicrosoft.com,vip\nFabrikam,fabrikam.com,,\n');
    expect(r).toEqual([
      { line: 2, input: 'contoso.com', tenant: 'contoso', meta: { Client: 'Contoso, Ltd', Notes: 'vip' } },
      { line: 3, input: 'fabrikam.com', meta: { Client: 'Fabrikam', Notes: '' } },
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
});
