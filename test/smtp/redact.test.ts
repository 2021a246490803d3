/**
 * The redaction rule (src/smtp/redact.ts) alone: whole echoes cut, partial,
 * split and re-encoded ones withheld, short secrets withhold everything.
 * The shapes are the issue 15 review's (a server answering with the token
 * minus its last character, base64 at a shifted alignment, a password split
 * over two reply lines).
 */
import { describe, expect, it } from 'vitest';
import { xoauth2Response } from '../../src/smtp/probe.js';
import { createRedactor, createSafetyNet, LEAK_WINDOW, redactReply, WITHHELD } from '../../src/smtp/redact.js';
import type { SmtpReply } from '../../src/smtp/reply.js';

const PASSWORD = 'Tr0ub4dor&3-horse-battery';
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const b64u = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const HEADER = b64u({ typ: 'JWT', alg: 'RS256', kid: 'sandbox-key' });
const TOKEN = `${HEADER}.${b64u({ aud: 'https://outlook.office365.com', roles: ['SMTP.SendAsApp'], xms_pad: 'p'.repeat(200) })}.${Buffer.from('s'.repeat(256).split('').map((_, i) => String.fromCharCode(33 + (i * 7) % 90)).join('')).toString('base64url')}`;
const reply = (code: number, lines: string[]): SmtpReply => {
  const m = /^([245])\.(\d{1,3})\.(\d{1,3})/.exec(lines[0] ?? '');
  return { code, lines, enhanced: m ? { cls: Number(m[1]) as 5, subject: Number(m[2]), detail: Number(m[3]), text: `${m[1]}.${m[2]}.${m[3]}` } : null };
};

describe('createRedactor: what a server says after the secret was sent', () => {
  it('withholds a line holding the secret minus its last character, or any run of 12 of its characters', () => {
    const r = createRedactor(PASSWORD);
    expect(LEAK_WINDOW).toBe(12);
    expect(r(`5.7.3 password ${PASSWORD.slice(0, -1)} is wrong`)).toBe(WITHHELD);
    expect(r(`5.7.3 ${PASSWORD.slice(5, 5 + LEAK_WINDOW)}`)).toBe(WITHHELD);
    // 11 characters in a row are below the window: kept (the rule's bound, said in redact.ts).
    expect(r(`5.7.3 ${PASSWORD.slice(5, 5 + LEAK_WINDOW - 1)}`)).toBe(`5.7.3 ${PASSWORD.slice(5, 5 + LEAK_WINDOW - 1)}`);
    expect(r('5.7.3 Authentication unsuccessful')).toBe('5.7.3 Authentication unsuccessful');
    // A whole echo is still cut, the rest of the line kept.
    expect(r(`5.7.3 password ${PASSWORD} is wrong (${b64(PASSWORD)})`)).toBe('5.7.3 password *** is wrong (***)');
    // Whole and partial in one line: withheld.
    expect(r(`${PASSWORD} ${PASSWORD.slice(1)}`)).toBe(WITHHELD);
  });

  it('withholds the token minus its last character, its signature or payload part, but not its (public) header', () => {
    const r = createRedactor(TOKEN);
    const [, payload = '', signature = ''] = TOKEN.split('.');
    expect(r(`5.7.3 bad token ${TOKEN.slice(0, -1)}`)).toBe(WITHHELD);
    expect(r(`5.7.3 ${signature.slice(0, 100)}`)).toBe(WITHHELD);
    expect(r(`5.7.3 ${payload.slice(40, 60)}`)).toBe(WITHHELD);
    expect(r(`5.7.3 header ${HEADER}`)).toBe(`5.7.3 header ${HEADER}`);
  });

  it('withholds base64 of the secret at each of the 3 alignments, the XOAUTH2 blob cut short, URL- and form-encoded runs', () => {
    const user = 'scanner@contoso.com';
    for (const secret of [PASSWORD, TOKEN]) {
      const blob = xoauth2Response(user, secret);
      const r = createRedactor(secret, [blob]);
      for (const shifted of [b64(secret).slice(0, -4), b64(`x${secret}`), b64(`xy${secret}`), b64(`xyz${secret}`).slice(0, -4), blob.slice(0, -6)]) {
        expect(r(`535 ${shifted}`), shifted.slice(0, 20)).toBe(WITHHELD);
      }
      expect(r(`535-${blob}`)).toBe('535-***');
    }
    const symbols = 'p@ss w0rd/with+symbols&more~';
    const r = createRedactor(symbols);
    expect(r(`sent ${encodeURIComponent(symbols).slice(0, -1)}`)).toBe(WITHHELD);
    expect(r(`sent ${new URLSearchParams({ s: symbols }).toString().slice(2, -1)}`)).toBe(WITHHELD);
  });

  it('a secret shorter than the window: every line after sending is withheld, whatever it says', () => {
    for (const secret of ['x', 'pass', 'Summer2024!']) {
      const r = createRedactor(secret);
      expect(secret.length).toBeLessThan(LEAK_WINDOW);
      expect(r('5.7.3 Authentication unsuccessful')).toBe(WITHHELD);
      expect(r('')).toBe(WITHHELD);
    }
  });
});

describe('redactReply: a reply read whole', () => {
  it('a password split over two reply lines (each part shorter than the window): every line withheld, codes kept', () => {
    const r = createRedactor(PASSWORD);
    for (const cut of [5, 10, 13, 20]) {
      const split = reply(535, [`5.7.3 bad ${PASSWORD.slice(0, cut)}`, `5.7.3 ${PASSWORD.slice(cut)}`]);
      const out = redactReply(split, r);
      expect(out.code, String(cut)).toBe(535);
      expect(out.enhanced?.text).toBe('5.7.3');
      expect(out.lines).toEqual([`5.7.3 ${WITHHELD}`, WITHHELD]);
    }
  });

  it('a whole echo is cut line by line; an ordinary reply is kept', () => {
    const r = createRedactor(PASSWORD);
    expect(redactReply(reply(535, [`5.7.3 password ${PASSWORD} is wrong`, b64(PASSWORD)]), r).lines).toEqual(['5.7.3 password *** is wrong', '***']);
    expect(redactReply(reply(235, ['2.7.0 Authentication successful']), r).lines).toEqual(['2.7.0 Authentication successful']);
  });
});

describe('createSafetyNet: over everything, before or after sending', () => {
  it('cuts the whole secret only, so text of our own that shares characters with it (the user name) is kept; none for a short one', () => {
    const password = 'scanner@contoso.com-2024!';
    const net = createSafetyNet(password);
    expect(net?.(`user ${password}`)).toBe('user ***');
    expect(net?.('scanner@contoso.com')).toBe('scanner@contoso.com');
    expect(createSafetyNet('short')).toBeNull();
  });
});
