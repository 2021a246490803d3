import { describe, expect, it } from 'vitest';
import { explainCode, explainDeliveryStatus, findCodeEntry, SMTP_CODES } from '../../src/smtp/codes.js';
import { findMicrosoftMarkers, NDR_CODES } from '../../src/smtp/ndr-codes.js';

/** A Microsoft host as Exchange Online appends it to its replies. */
const MS_HOST = '[AM0PR01MB1234.eurprd01.prod.outlook.com]';

/**
 * The codes of Microsoft Learn's Exchange Online NDR reference (issue 17's
 * list, then the other rows of the page and its per-code pages): the entry
 * each must resolve to, and a fact of Microsoft's meaning.
 */
const EXO_NDR_CODES: readonly [code: string, id: string, fact: RegExp][] = [
  ['5.1.0', '5.1.0', /sender denied/i],
  ['5.1.1', '5.1.1', /bad destination mailbox/i],
  ['5.1.8', '5.1.8', /bad outbound sender/i],
  ['5.1.10', '5.1.10', /recipient not found/i],
  ['5.1.90', '5.1.90', /daily recipient limit/i],
  ['5.2.2', '5.2.2', /submission quota/i],
  ['5.2.121', '5.2.121', /from this sender/i],
  ['5.2.122', '5.2.122', /hourly receive limit exceeded/i],
  ['5.4.1', '5.4.1', /relay access denied/i],
  ['5.4.6', '5.4.6', /routing loop/i],
  ['5.4.14', '5.4.14', /routing loop in Exchange Online/i],
  ['5.4.300', '5.4.300', /message expired/i],
  ['5.7.1', '5.7.1', /delivery not authorized/i],
  ['5.7.12', '5.7.12', /not authenticated by organization/i],
  ['5.7.23', '5.7.23', /sender policy framework/i],
  ['5.7.57', '5.7.57', /client not authenticated/i],
  ['5.7.64', '5.7.64', /TenantAttribution/],
  ['5.7.124', '5.7.124', /allowed-senders list/i],
  ['5.7.133', '5.7.133', /for group/i],
  ['5.7.134', '5.7.134', /for mailbox/i],
  ['5.7.135', '5.7.135', /for public folder/i],
  ['5.7.136', '5.7.136', /mail user/i],
  ['5.7.501', '5.7.501', /spam abuse/i],
  ['5.7.502', '5.7.502-503', /banned sender/i],
  ['5.7.503', '5.7.502-503', /banned sender/i],
  ['5.7.509', '5.7.509', /DMARC/],
  ['5.7.510', '5.7.510', /IPv6/],
  ['5.7.511', '5.7.511', /banned sender IP/i],
  ['5.7.520', '5.7.520', /external forwarding/i],
  ['5.7.606', '5.7.606-649', /banned sending IP/i],
  ['5.7.649', '5.7.606-649', /banned sending IP/i],
  ['5.7.700', '5.7.700-749', /tenant is blocked/i],
  ['5.7.703', '5.7.703', /Tenant Allow\/Block List/],
  ['5.7.705', '5.7.705', /exceeded threshold/i],
  ['5.7.708', '5.7.708', /not accepted from this IP/i],
  ['5.7.749', '5.7.700-749', /tenant is blocked/i],
  ['5.7.750', '5.7.750', /unregistered domains/i],
  ['4.4.7', '4.4.7', /expired/i],
  ['4.4.316', '4.4.316', /connection refused/i],
  ['4.7.26', '4.7.26', /IPv6/],
  ['4.7.500', '4.7.500-699', /try again later/i],
  ['4.7.699', '4.7.500-699', /try again later/i],
  // The other rows of the reference page.
  ['4.3.2', '4.3.2', /thread limit/i],
  ['4.4.8', '4.4.8', /MTA-STS/],
  ['5.4.8', '5.4.8', /MTA-STS/],
  ['4.5.3', '4.5.3', /too many recipients/i],
  ['4.7.5', '4.7.5', /MTA-STS/],
  ['5.7.5', '5.7.5', /MTA-STS/],
  ['4.7.321', '4.7.321', /starttls-not-supported/],
  ['5.7.321', '5.7.321', /starttls-not-supported/],
  ['4.7.322', '4.7.322', /certificate-expired/],
  ['5.7.322', '5.7.322', /certificate-expired/],
  ['4.7.323', '4.7.323', /tlsa-invalid/],
  ['5.7.323', '5.7.323', /tlsa-invalid/],
  ['4.7.324', '4.7.324', /dnssec-invalid/],
  ['5.7.324', '5.7.324', /dnssec-invalid/],
  ['4.7.325', '4.7.325', /certificate-host-mismatch/],
  ['5.7.325', '5.7.325', /certificate-host-mismatch/],
  ['4.7.850', '4.7.850-899', /under evaluation/i],
  ['4.7.899', '4.7.850-899', /under evaluation/i],
  ['5.0.350', '5.0.350', /generic error/i],
  ['5.3.190', '5.3.190', /journaling/i],
  ['5.5.0', '5.5.0', /Outlook\.com recipient not found/i],
  ['5.6.11', '5.6.11', /bare line feeds/i],
  ['5.7.13', '5.7.13', /for public folder/i],
  ['5.7.25', '5.7.25', /PTR/],
  ['5.7.504', '5.7.504', /recipient address rejected/i],
  ['5.7.505', '5.7.505', /banned recipient/i],
  ['5.7.506', '5.7.506', /bad HELO/i],
  ['5.7.507', '5.7.507', /rejected by recipient/i],
  ['5.7.508', '5.7.508', /IPv6 range/i],
  ['5.7.512', '5.7.512', /RFC 5322 section 3\.6\.2/],
  ['5.7.513', '5.7.513', /block list/i],
  ['5.7.800', '5.7.800', /banned sender domain/i],
];

const split = (code: string): [number, number, number] => code.split('.').map(Number) as [number, number, number];

describe('the Exchange Online NDR catalog', () => {
  it.each(EXO_NDR_CODES)('%s resolves to %s with Microsoft\'s meaning in a Microsoft reply', (code, id, fact) => {
    const e = explainCode(`550 ${code} ${MS_HOST}`);
    expect(e).toMatchObject({ source: 'catalog', id, enhancedCode: code, microsoft: true, sender: 'microsoft' });
    expect(`${e?.title} ${e?.meaning}`).toMatch(fact);
    expect(e?.cause).toBeTruthy();
    expect(e?.fix).toBeTruthy();
  });

  it('reads a code only Microsoft sends as Microsoft\'s even without a marker, and a registered one as the RFC\'s', () => {
    for (const [code, id, fact] of EXO_NDR_CODES) {
      const entry = findCodeEntry(...split(code));
      expect(entry?.id, code).toBe(id);
      const e = explainCode(code);
      const microsoftOnly = !entry?.generic && !entry?.shared;
      expect(e?.microsoft, code).toBe(microsoftOnly);
      if (microsoftOnly || entry?.shared) expect(`${e?.title} ${e?.meaning}`, code).toMatch(fact);
    }
    // 11 of them are registered with another meaning (5.1.10, 5.2.2, 5.7.12 …), 7 with the same (5.1.1, 5.7.1 …).
    const plain = EXO_NDR_CODES.map(([code]) => findCodeEntry(...split(code)));
    expect(plain.filter((e) => e?.generic).map((e) => e?.id)).toEqual(['5.1.0', '5.1.8', '5.1.10', '5.2.2', '5.4.1', '5.7.12', '4.3.2', '4.7.5', '5.7.5', '5.5.0', '5.7.13']);
    expect(plain.filter((e) => e?.shared).map((e) => e?.id)).toEqual(['5.1.1', '5.4.6', '5.7.1', '5.7.23', '4.4.7', '4.5.3', '5.7.25']);
  });

  it('gives every entry a reply code of its class', () => {
    for (const e of NDR_CODES) {
      expect(e.replyCodes.length, e.id).toBeGreaterThan(0);
      for (const r of e.replyCodes) expect([4, 5], `${e.id} ${r}`).toContain(Math.floor(r / 100));
      expect(SMTP_CODES, e.id).toContain(e);
    }
  });
});

describe('5.1.10: Microsoft\'s "recipient not found", RFC 7505\'s null MX elsewhere', () => {
  it('a Microsoft reply: recipient not found first, the null MX named', () => {
    const e = explainCode('550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup');
    expect(e).toMatchObject({ id: '5.1.10', microsoft: true, sender: 'microsoft', title: 'Recipient not found', markers: ['RESOLVER.ADR.RecipientNotFound'] });
    expect(e?.meaning).toMatch(/^Exchange Online looked the recipient/);
    expect(e?.meaning).toContain('RFC 7505');
    expect(e?.meaning).toContain('null MX');
    expect(e?.otherReading).toMatchObject({ reading: 'rfc', ref: 'RFC 7505 §3, §6', title: 'Recipient address has a null MX' });
    expect(e?.fix).toContain('Set-AcceptedDomain');
    // The wording alone marks it, and so does a Microsoft host.
    expect(explainCode('550 5.1.10 Recipient not found by SMTP address lookup')?.microsoft).toBe(true);
    expect(explainCode(`550 5.1.10 ${MS_HOST}`)?.title).toBe('Recipient not found');
  });

  it('another server: the null MX first, Microsoft\'s meaning named', () => {
    for (const input of ['556 5.1.10 Recipient address has null MX', '5.1.10', '550 5.1.10 example.org does not accept mail']) {
      const e = explainCode(input);
      expect(e, input).toMatchObject({ id: '5.1.10', source: 'catalog', microsoft: false, sender: null, markers: [], title: 'Recipient address has a null MX' });
      expect(e?.meaning, input).toMatch(/^The recipient's domain publishes a null MX/);
      expect(e?.meaning, input).toContain('Recipient not found');
      expect(e?.otherReading, input).toMatchObject({ reading: 'microsoft', ref: null, title: 'Recipient not found' });
      expect(e?.fix, input).not.toContain('Set-AcceptedDomain');
      expect(e?.detail, input).toBe('Recipient address has a null MX.');
    }
  });

  it('was "Recipient address has a null MX" before the Microsoft entry (issue 17)', () => {
    // The bug: the RFC detail text was the whole answer for a Microsoft reply.
    expect(explainCode('550 5.1.10 RESOLVER.ADR.RecipientNotFound')?.title).not.toMatch(/null MX/);
  });
});

describe('variants', () => {
  it('5.7.1: send as, unable to relay, Microsoft\'s block list, authentication required, not authorized', () => {
    const cases: [string, RegExp, boolean][] = [
      ['550 5.7.1 Client does not have permissions to send as this sender', /^Not allowed to send as this sender$/, false],
      ['554 5.7.1 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied', /^Not allowed to send as/, true],
      ['550 5.7.1 Unable to relay', /^Unable to relay$/, false],
      ['554 5.7.1 <a@example.org>: Relay access denied', /^Unable to relay$/, false],
      ['550 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using Blocklist 1; To request removal from this list please forward this message to delist@messaging.microsoft.com', /block list/, true],
      ["Remote Server returned '550 5.7.1 RESOLVER.RST.AuthRequired; authentication required [Stage: CreateMessage]'", /^Authentication required/, true],
      ['550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized', /^Delivery not authorized/, true],
    ];
    for (const [input, title, microsoft] of cases) {
      const e = explainCode(input);
      expect(e?.id, input).toBe('5.7.1');
      expect(e?.title, input).toMatch(title);
      expect(e?.microsoft, input).toBe(microsoft);
    }
    expect(explainCode(cases[0]?.[0] ?? '')?.fix).toContain('Add-RecipientPermission');
    expect(explainCode(cases[4]?.[0] ?? '')?.fix).toContain('delist@messaging.microsoft.com');
  });

  it('5.4.1: relay access denied (MX or domain setup) vs DBEB AS(201806281)', () => {
    const dbeb = explainCode('550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [CY1GCC01FT007.eop-gcc01.prod.protection.outlook.com]');
    expect(dbeb).toMatchObject({ id: '5.4.1', microsoft: true, title: 'Recipient address rejected: Access denied (DBEB)' });
    expect(dbeb?.markers).toEqual(['protection.outlook.com', 'AS(201806281)', 'Recipient address rejected: Access denied']);
    expect(dbeb?.fix).toContain('InternalRelay');
    const relay = explainCode('#550 5.4.1 Relay Access Denied ##');
    expect(relay).toMatchObject({ id: '5.4.1', microsoft: true, title: 'Relay Access Denied' });
    expect(relay?.fix).toContain('mail.protection.outlook.com');
    // Without Microsoft's wording 5.4.1 is RFC 3463's "no answer from host".
    expect(explainCode('451 5.4.1 timeout')).toMatchObject({ id: '5.4.1', microsoft: false, title: 'No answer from host' });
  });

  it('5.1.0 SPF permanent error, 5.1.1 ExRecipNotFound, 5.0.350 x-dg-ref and AS345', () => {
    expect(explainCode('550 5.1.0 Recipient address rejected: SPF Permanent Error')).toMatchObject({ microsoft: true, title: 'Address rejected: SPF permanent error' });
    expect(explainCode('550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found')).toMatchObject({ microsoft: true, title: 'Exchange recipient not found (stale internal address)' });
    expect(explainCode('550 5.0.350 x-dg-ref header is too long')?.title).toBe('x-dg-ref header is too long');
    expect(explainCode('550 5.0.350 Requested action not taken: policy violation detected (AS345)')?.title).toMatch(/nested attachments/);
  });
});

describe('ranges', () => {
  it('5.7.606-649 holds 5.7.606 to 5.7.649 and nothing outside', () => {
    for (const d of [606, 627, 649]) expect(explainCode(`550 5.7.${d} ${MS_HOST}`)?.id, String(d)).toBe('5.7.606-649');
    for (const d of [605, 650]) expect(explainCode(`550 5.7.${d}`), String(d)).toMatchObject({ source: 'rfc', id: null });
    // Microsoft's markers on a code the catalog lacks: said so, not guessed.
    const e = explainCode(`550 5.7.650 ${MS_HOST}`);
    expect(e).toMatchObject({ source: 'rfc', microsoft: false, markers: ['prod.outlook.com'] });
    expect(e?.meaning).toMatch(/catalog lacks this code/);
  });

  it('4.7.500-699 holds 4.7.500 to 4.7.699; 4.7.850-899 is its own', () => {
    for (const d of [500, 600, 699]) expect(explainCode(`451 4.7.${d} Access denied, please try again later`)?.id, String(d)).toBe('4.7.500-699');
    for (const d of [499, 700, 849, 900]) expect(explainCode(`451 4.7.${d}`)?.source, String(d)).toBe('rfc');
    expect(explainCode('451 4.7.850')?.id).toBe('4.7.850-899');
  });

  it('5.7.700-749 gives way to the codes inside it that Microsoft names', () => {
    expect([700, 701, 703, 705, 708, 720, 749, 750, 751].map((d) => findCodeEntry(5, 7, d)?.id ?? null))
      .toEqual(['5.7.700-749', '5.7.700-749', '5.7.703', '5.7.705', '5.7.708', '5.7.700-749', '5.7.700-749', '5.7.750', null]);
  });
});

describe('findMicrosoftMarkers', () => {
  it('names each kind of marker once', () => {
    expect(findMicrosoftMarkers('550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found [BN8PR01MB1234.namprd01.prod.outlook.com]'))
      .toEqual(['RESOLVER.ADR.RecipientNotFound', 'prod.outlook.com']);
    expect(findMicrosoftMarkers('5.7.520 Access denied, Your organization does not allow external forwarding. AS(7555)')).toEqual(['AS(7555)']);
    expect(findMicrosoftMarkers('5.4.14 Hop count exceeded - possible mail loop ATTR34')).toEqual(['ATTR34']);
    expect(findMicrosoftMarkers('550 5.7.64 TenantAttribution; Relay Access Denied')).toEqual(['TenantAttribution']);
    expect(findMicrosoftMarkers('host contoso-com.mail.protection.outlook.com said: 550 5.7.606 please visit https://sender.office.com/'))
      .toEqual(['protection.outlook.com', 'sender.office.com']);
    expect(findMicrosoftMarkers('550 5.1.1 user unknown')).toEqual([]);
  });

  it('none in a Gmail reply, even one relayed through Microsoft 365', () => {
    const gmail = `552-5.2.2 The email account that you tried to reach is over quota ${MS_HOST} gsmtp`;
    expect(findMicrosoftMarkers(gmail)).toEqual([]);
    expect(explainCode(gmail)).toMatchObject({ id: '5.2.2', microsoft: false, title: 'Mailbox full' });
  });
});

describe('explainDeliveryStatus (a DSN recipient, RFC 3464)', () => {
  it('explains Status and Diagnostic-Code', () => {
    const e = explainDeliveryStatus('5.1.10', 'smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup');
    expect(e).toMatchObject({ id: '5.1.10', enhancedCode: '5.1.10', replyCode: 550, microsoft: true, title: 'Recipient not found' });
    expect(e?.input).toBe('smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup');
    expect(e?.cause).toBeTruthy();
    expect(e?.fix).toBeTruthy();
  });

  it('a Status alone: Microsoft-only codes are Microsoft\'s, registered ones the RFC\'s', () => {
    expect(explainDeliveryStatus('5.7.606')).toMatchObject({ id: '5.7.606-649', microsoft: true, replyCode: null });
    expect(explainDeliveryStatus('5.1.10 (recipient not found)', null)).toMatchObject({ id: '5.1.10', microsoft: false, title: 'Recipient address has a null MX' });
  });

  it('takes the diagnostic\'s code when the Status is the unspecific X.0.0', () => {
    const e = explainDeliveryStatus('5.0.0', 'smtp; 550 5.7.606 Access denied, banned sending IP [192.0.2.7]. To request removal from this list please visit https://sender.office.com/ (AS16012609)');
    expect(e).toMatchObject({ id: '5.7.606-649', enhancedCode: '5.7.606', replyCode: 550, microsoft: true, markers: ['sender.office.com'] });
    // A diagnostic of another class does not replace it, nor does one without an enhanced code.
    expect(explainDeliveryStatus('5.0.0', 'smtp; 451 4.7.500 try later')?.enhancedCode).toBe('5.0.0');
    expect(explainDeliveryStatus('5.0.0', 'smtp; 550 user unknown')).toMatchObject({ enhancedCode: '5.0.0', replyCode: 550 });
  });

  it('keeps the Status when the diagnostic names another code, and reads its text for the variant', () => {
    const e = explainDeliveryStatus('5.4.1', 'smtp; 550 5.7.1 Recipient address rejected: Access denied. AS(201806281)');
    expect(e).toMatchObject({ enhancedCode: '5.4.1', id: '5.4.1', title: 'Recipient address rejected: Access denied (DBEB)' });
  });

  it('the MTA that gave the diagnostic counts: Remote-MTA first, else Reporting-MTA', () => {
    const diag = 'smtp; 550 5.1.10 no such user here';
    expect(explainDeliveryStatus('5.1.10', diag)?.microsoft).toBe(false);
    expect(explainDeliveryStatus('5.1.10', diag, { remoteMta: 'dns; contoso-com.mail.protection.outlook.com' })).toMatchObject({ microsoft: true, title: 'Recipient not found' });
    expect(explainDeliveryStatus('5.1.10', diag, { reportingMta: 'dns; AM0PR01MB1234.eurprd01.prod.outlook.com' })?.microsoft).toBe(true);
    // Exchange Online reported a rejection by another server: that server's meaning.
    expect(explainDeliveryStatus('5.1.10', diag, { remoteMta: 'dns; mx.example.org', reportingMta: 'dns; AM0PR01MB1234.eurprd01.prod.outlook.com' })?.microsoft).toBe(false);
  });

  it('a diagnostic without a Status, and nothing at all', () => {
    expect(explainDeliveryStatus('', 'smtp; 550 5.7.520 Access denied, Your organization does not allow external forwarding. AS(7555)')).toMatchObject({ id: '5.7.520', replyCode: 550, microsoft: true });
    expect(explainDeliveryStatus('not a status', 'smtp; 550 mailbox unavailable')).toMatchObject({ enhancedCode: null, replyCode: 550, id: null });
    expect(explainDeliveryStatus('', '')).toBeNull();
    expect(explainDeliveryStatus('x.1.10', 'no code here')).toBeNull();
  });

  it('reads a bounded part of long or hostile input', () => {
    const long = `smtp; 550 5.1.10 ${'A'.repeat(100_000)} RESOLVER.ADR.RecipientNotFound`;
    // The marker lies beyond the 2,000 characters read: not seen.
    expect(explainDeliveryStatus('5.1.10', long)).toMatchObject({ id: '5.1.10', microsoft: false });
    expect(explainDeliveryStatus('5.1.10', long)?.input.length).toBe(2000);
    expect(explainDeliveryStatus(`5.1.10${' '.repeat(100_000)}`, null)?.id).toBe('5.1.10');
  });
});
