import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  authMechanisms,
  createReplyParser,
  ehloCapabilities,
  formatReply,
  hasCapability,
  MAX_REPLY_LINE,
  parseEnhancedCode,
  parseReplies,
  parseReplyLine,
  type ReplyEvent,
  type SmtpReply,
} from '../../src/smtp/reply.js';

const SEED = 5005;

describe('parseReplyLine', () => {
  it('reads final, continuation and bare lines', () => {
    expect(parseReplyLine('250 OK')).toEqual({ code: 250, final: true, text: 'OK' });
    expect(parseReplyLine('250-SIZE 157286400')).toEqual({ code: 250, final: false, text: 'SIZE 157286400' });
    expect(parseReplyLine('220')).toEqual({ code: 220, final: true, text: '' });
  });
  it('rejects garbage', () => {
    for (const g of ['', 'hello', '25 OK', '2500 OK', '650 x', '250x', ' 250 OK']) expect(parseReplyLine(g)).toBeNull();
  });
});

describe('parseEnhancedCode', () => {
  it('reads class, subject and detail', () => {
    expect(parseEnhancedCode('5.7.139 Authentication unsuccessful')).toEqual({ cls: 5, subject: 7, detail: 139, text: '5.7.139' });
    expect(parseEnhancedCode('2.0.0')).toMatchObject({ text: '2.0.0' });
    expect(parseEnhancedCode('4.4.62, wrong region')).toMatchObject({ text: '4.4.62' });
  });
  it('ignores non-codes', () => {
    for (const t of ['3.7.0 x', '5.7 x', '5.7.1234 x', 'Ready', '5.7.1x', '']) expect(parseEnhancedCode(t)).toBeNull();
  });
});

describe('parseReplies', () => {
  it('joins a multi-line EHLO reply and lists its capabilities', () => {
    const text = '250-host Hello [1.2.3.4]\r\n250-SIZE 157286400\r\n250-STARTTLS\r\n250 AUTH LOGIN XOAUTH2\r\n';
    const { replies, garbage, error } = parseReplies(text);
    expect(error).toBeNull();
    expect(garbage).toEqual([]);
    expect(replies).toHaveLength(1);
    const r = replies[0] as SmtpReply;
    expect(r.code).toBe(250);
    expect(ehloCapabilities(r)).toEqual(['SIZE 157286400', 'STARTTLS', 'AUTH LOGIN XOAUTH2']);
    expect(hasCapability(ehloCapabilities(r), 'starttls')).toBe(true);
    expect(authMechanisms(ehloCapabilities(r))).toEqual(['LOGIN', 'XOAUTH2']);
  });
  it('reads the old AUTH= form and removes duplicate mechanisms', () => {
    expect(authMechanisms(['AUTH=LOGIN PLAIN', 'AUTH LOGIN'])).toEqual(['LOGIN', 'PLAIN']);
    expect(authMechanisms(['AUTHX LOGIN'])).toEqual([]);
  });
  it('skips garbage lines, also inside a multi-line reply, and accepts bare LF', () => {
    const { replies, garbage } = parseReplies('junk\n220-a\n*** noise\n220 b\n');
    expect(garbage).toEqual(['junk', '*** noise']);
    expect(replies).toEqual([{ code: 220, lines: ['a', 'b'], enhanced: null }]);
  });
  it('takes the enhanced code from the first line', () => {
    const { replies } = parseReplies('535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled\r\n');
    expect(replies[0]?.enhanced?.text).toBe('5.7.139');
  });
  it('cuts an endless line off with an error instead of buffering it', () => {
    const parser = createReplyParser();
    const events: ReplyEvent[] = [];
    for (let i = 0; i < 100 && !parser.failed; i++) events.push(...parser.push('A'.repeat(1000)));
    expect(parser.failed).toBe(true);
    expect(events).toEqual([{ type: 'error', error: 'line-too-long', sample: 'A'.repeat(80) }]);
    expect(parser.push('250 OK\r\n')).toEqual([]);
  });
  it('stops a reply with too many continuation lines', () => {
    const { error } = parseReplies('250-x\r\n'.repeat(300), { maxLines: 200 });
    expect(error).toBe('too-many-lines');
  });
  it('reports a partial line at the end as garbage', () => {
    const { replies, garbage } = parseReplies('220 ok\r\n250-half');
    expect(replies).toHaveLength(1);
    expect(garbage).toEqual(['250-half']);
  });
});

const replyArb: fc.Arbitrary<SmtpReply> = fc
  .record({
    code: fc.integer({ min: 200, max: 599 }),
    lines: fc.array(fc.stringMatching(/^[\x20-\x7e]{0,60}$/), { minLength: 1, maxLength: 6 }),
  })
  .map(({ code, lines }) => ({ code, lines, enhanced: parseEnhancedCode(lines[0] ?? '') }));

describe('reply parser properties', () => {
  it('never throws on arbitrary input, and buffers at most one line', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 3000 }), { maxLength: 8 }), (chunks) => {
        const parser = createReplyParser();
        for (const c of chunks) {
          const events = parser.push(c);
          for (const e of events) if (e.type === 'garbage') expect(e.line.length).toBeLessThanOrEqual(MAX_REPLY_LINE + 1);
        }
        parser.end();
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it('formatReply then parse gives the replies back, however the text is chunked', () => {
    fc.assert(
      fc.property(fc.array(replyArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (replies, cuts, crlf) => {
        const eol = crlf ? '\r\n' : '\n';
        const text = replies.map((r) => formatReply(r).split('\n').join(eol) + eol).join('');
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const parser = createReplyParser();
        const got: SmtpReply[] = [];
        let prev = 0;
        for (const p of [...points, text.length]) {
          for (const e of parser.push(text.slice(prev, p))) if (e.type === 'reply') got.push(e.reply);
          prev = p;
        }
        expect(got).toEqual(replies);
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it('garbage lines between replies do not change the replies', () => {
    fc.assert(
      fc.property(fc.array(replyArb, { minLength: 1, maxLength: 4 }), fc.stringMatching(/^[a-z *#?]{1,30}$/), (replies, junk) => {
        const text = replies.map((r) => `${junk}\r\n${formatReply(r).split('\n').join('\r\n')}\r\n`).join('');
        const parsed = parseReplies(text);
        expect(parsed.replies).toEqual(replies);
        expect(parsed.garbage).toHaveLength(replies.length);
      }),
      { numRuns: 200, seed: SEED },
    );
  });
});
