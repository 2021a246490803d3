import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMessageDate } from '../../src/message/date.js';
import { parseHeaderBlock, parseHeaderText } from '../../src/message/headers.js';
import { parseMessageHeaders } from '../../src/message/parse.js';
import { isMicrosoftHost, MAX_RECEIVED_HOPS, normalizeTlsVersion, parseReceived, parseReceivedChain } from '../../src/message/received.js';
import { FIXTURES } from '../support/fixtures.js';

const JUNKED = parseHeaderBlock(readFileSync(`${FIXTURES}message/m365-junked.eml`));

describe('parseReceivedChain: the Microsoft 365 route of a junked message', () => {
  const chain = parseReceivedChain(JUNKED);

  it('lists the hops oldest first with from, IP, by, protocol, TLS and id', () => {
    expect(chain.total).toBe(5);
    expect(chain.hops.map((h) => [h.index, h.fromHost, h.fromIp, h.byHost])).toEqual([
      [0, '[192.0.2.10]', '192.0.2.10', 'mail.fabrikam.example'],
      [1, 'mail.fabrikam.example', '203.0.113.7', 'BN2PEPF000044A9.mail.protection.outlook.com'],
      [2, 'BN2PEPF000044A9.namprd04.prod.outlook.com', '2001:db8:408:fe:cafe::4f', 'BN9PR03CA0123.outlook.office365.com'],
      [3, 'BN9PR03CA0123.namprd03.prod.outlook.com', '2001:db8:408:fe::8', 'DM6PR03MB1234.namprd03.prod.outlook.com'],
      [4, 'DM6PR03MB1234.namprd03.prod.outlook.com', '2001:db8:5:1d0::12', 'SA1PR03MB5678.namprd03.prod.outlook.com'],
    ]);
    expect(chain.hops[0]).toMatchObject({ protocol: 'esmtpsa', encrypted: true, tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' }, id: '1tpQ8x-000AbC-1Z', for: 'bob@contoso.com' });
    expect(chain.hops[1]).toMatchObject({ protocol: 'Microsoft SMTP Server', via: 'Frontend Transport', encrypted: true, tls: { version: 'TLSv1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' }, id: '15.20.8489.16' });
    expect(chain.hops[2]?.tls).toEqual({ version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' });
    expect(chain.hops[4]).toMatchObject({ protocol: 'HTTPS', encrypted: true, tls: null });
  });

  it('gives the delay from the previous hop, negative with clockSkew when a clock is behind', () => {
    expect(chain.hops.map((h) => h.delaySeconds)).toEqual([null, -5, 1, 1, 1]);
    expect(chain.hops.map((h) => h.clockSkew)).toEqual([false, true, false, false, false]);
    expect(chain.clockSkew).toBe(true);
    expect(chain.hops[0]?.timestamp).toBe(Date.UTC(2025, 2, 4, 10, 15, 9));
  });

  it('finds the first hop Microsoft recorded and the connecting IP every source names', () => {
    expect(chain.firstMicrosoftHop).toBe(1);
    expect(chain.hops.map((h) => [h.byMicrosoft, h.fromMicrosoft])).toEqual([[false, false], [true, false], [true, true], [true, true], [true, true]]);
    const ip = parseMessageHeaders(JUNKED).connectingIp;
    expect(ip.ip).toEqual({ ip: '203.0.113.7', source: 'received', field: 'Received' });
    expect(ip.candidates.map((c) => c.source)).toEqual(['received', 'original-client-ip', 'forefront-cip', 'authentication-results']);
    expect(ip.agree).toBe(true);
  });
});

describe('parseReceived: the shapes servers write', () => {
  it('Postfix: reverse name and address in the TCP-info, TLS in a nested comment', () => {
    const h = parseReceived('from mail.example.net (mail.example.net [198.51.100.7])\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n\t key-exchange X25519 server-signature RSA-PSS (2048 bits))\n\t(No client certificate requested)\n\tby mx.example.org (Postfix) with ESMTPS id 4Q1x2y3z\n\tfor <user@example.org>; Mon,  3 Mar 2025 23:59:59 -0800 (PST)');
    expect(h).toMatchObject({ fromHost: 'mail.example.net', fromIp: '198.51.100.7', fromReverse: 'mail.example.net', byHost: 'mx.example.org', protocol: 'ESMTPS', id: '4Q1x2y3z', for: '<user@example.org>', encrypted: true, tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } });
    expect(h.timestamp).toBe(Date.UTC(2025, 2, 4, 7, 59, 59));
  });

  it('Google and sendmail: version= cipher= bits=', () => {
    expect(parseReceived('from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id a1sor (Google Transport Security); Tue, 04 Mar 2025 02:15:04 -0800 (PST)')).toMatchObject({ fromIp: '209.85.220.41', fromReverse: 'mail-sor-f41.google.com', protocol: 'SMTPS', encrypted: true });
    expect(parseReceived('from a.example (a.example [192.0.2.1]) by b.example (8.17.1/8.17.1) with ESMTP id x (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT); Tue, 4 Mar 2025 10:00:00 GMT')).toMatchObject({ protocol: 'ESMTP', encrypted: true, tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } });
  });

  it('Exim colon form, IPv6 address literals, and unknown reverse names', () => {
    expect(parseReceived('from [192.0.2.55] (port=52104 helo=PC) by mx.example with esmtpsa (TLSv1.2:DHE-RSA-AES256-GCM-SHA384:256) (Exim 4.85) id 1Z; Tue, 08 Sep 2015 01:52:33 -0500').tls).toEqual({ version: 'TLSv1.2', cipher: 'DHE-RSA-AES256-GCM-SHA384' });
    expect(parseReceived('from host.example ([IPv6:2001:DB8::0:1]) by mx.example with ESMTP; Tue, 4 Mar 2025 10:00:00 +0000')).toMatchObject({ fromIp: '2001:db8::1', encrypted: false });
    expect(parseReceived('from neko (unknown [203.0.113.2]) by smtp.example (Postfix) with ESMTPSA id 22; Thu, 29 Apr 2017 23:34:45 +0900 (JST)')).toMatchObject({ fromHost: 'neko', fromIp: '203.0.113.2', fromReverse: null, protocol: 'ESMTPSA', encrypted: true });
  });

  it('Microsoft without TLS, and with a bare (TLS)', () => {
    expect(parseReceived('from neko.home (192.0.2.6) by X.mail.protection.outlook.com (192.0.2.8) with Microsoft SMTP Server id 11.1.111.11 via Frontend Transport; Thu, 29 Apr 2015 23:34:45 +0000')).toMatchObject({ fromIp: '192.0.2.6', encrypted: false, tls: null, via: 'Frontend Transport', byMicrosoft: true });
    expect(parseReceived('from A.e0.prod.outlook.com (192.0.2.3) by B.e0.prod.outlook.com (192.0.2.4) with Microsoft SMTP Server (TLS) id 15.1.112.19; Thu, 29 Apr 2015 23:34:45 +0000')).toMatchObject({ encrypted: true, tls: { version: null, cipher: null }, fromMicrosoft: true });
  });

  it('a `;` inside a comment is not the date separator; a field with no date or an unreadable one has timestamp null', () => {
    const h = parseReceived('from a.example (comment; with a semicolon) by b.example with SMTP; Tue, 4 Mar 2025 10:00:00 +0000');
    expect(h).toMatchObject({ fromHost: 'a.example', byHost: 'b.example', date: 'Tue, 4 Mar 2025 10:00:00 +0000', timestamp: Date.UTC(2025, 2, 4, 10) });
    expect(parseReceived('by b.example with SMTP')).toMatchObject({ date: null, timestamp: null, fromHost: null });
    expect(parseReceived('from x by y; yesterday at noon')).toMatchObject({ date: 'yesterday at noon', timestamp: null });
    expect(parseReceived('garbage (( with no structure')).toMatchObject({ fromHost: null, byHost: null });
  });
});

describe('parseReceivedChain: what cannot be trusted', () => {
  it('a forged Received field below the real edge hop, claiming a Microsoft `by`, is not taken for the first Microsoft hop', () => {
    const h = parseHeaderText([
      'Received: from X.prod.outlook.com (2001:db8::1) by Y.prod.outlook.com (2001:db8::2) with Microsoft SMTP Server (TLS) id 1; Tue, 4 Mar 2025 10:00:02 +0000',
      'Received: from attacker.example (203.0.113.66) by X.mail.protection.outlook.com (198.51.100.1) with Microsoft SMTP Server id 2 via Frontend Transport; Tue, 4 Mar 2025 10:00:01 +0000',
      'Received: from trusted.example (192.0.2.1) by Z.mail.protection.outlook.com (198.51.100.9) with Microsoft SMTP Server id 3; Tue, 4 Mar 2025 10:00:00 +0000',
      '',
    ].join('\n'));
    const chain = parseReceivedChain(h);
    expect(chain.hops[chain.firstMicrosoftHop ?? -1]?.fromIp).toBe('203.0.113.66');
  });

  it('sources that name different addresses do not agree (tenant-to-tenant relay), and all are kept', () => {
    const h = parseHeaderText([
      'X-Forefront-Antispam-Report: CIP:198.51.100.20;SCL:1;',
      'Received: from client.example (192.0.2.44) by A.prod.outlook.com (2001:db8::3) with HTTPS; Tue, 4 Mar 2025 10:00:00 +0000',
      '',
    ].join('\n'));
    const ip = parseMessageHeaders(h).connectingIp;
    expect(ip.candidates.map((c) => [c.source, c.ip])).toEqual([['received', '192.0.2.44'], ['forefront-cip', '198.51.100.20']]);
    expect(ip.agree).toBe(false);
    expect(ip.ip?.source).toBe('received');
  });

  it('keeps the newest MAX_RECEIVED_HOPS hops of a hostile header and counts them all', () => {
    const text = Array.from({ length: MAX_RECEIVED_HOPS + 30 }, (_, i) => `Received: from h${i}.example by h${i + 1}.example with SMTP; Tue, 4 Mar 2025 10:00:00 +0000\n`).join('');
    const chain = parseReceivedChain(parseHeaderText(text));
    expect(chain.hops).toHaveLength(MAX_RECEIVED_HOPS);
    expect(chain.total).toBe(MAX_RECEIVED_HOPS + 30);
    expect(chain.hops[MAX_RECEIVED_HOPS - 1]?.fromHost).toBe('h0.example');
  });
});

describe('helpers', () => {
  it('isMicrosoftHost: suffixes of Microsoft mail hosts only', () => {
    expect(['x.mail.protection.outlook.com', 'A.namprd03.PROD.OUTLOOK.COM.', 'x.protection.office365.us', 'x.partner.outlook.cn', 'x.prod.exchangelabs.com', 'SNT004-MC8F18.hotmail.com', 'contoso-com.a-v1.mx.microsoft'].map(isMicrosoftHost)).toEqual([true, true, true, true, true, true, true]);
    expect(['outlook.com.attacker.example', 'notoutlook.com', 'example.com', ''].map(isMicrosoftHost)).toEqual([false, false, false, false]);
    expect(isMicrosoftHost(null)).toBe(false);
  });

  it('normalizeTlsVersion: Node names', () => {
    expect(['TLS1_2', 'TLSv1.2', 'tls1.3', 'TLS1_0', 'TLSv1', 'SSLv3', 'weird'].map(normalizeTlsVersion)).toEqual(['TLSv1.2', 'TLSv1.2', 'TLSv1.3', 'TLSv1', 'TLSv1', 'SSLv3', 'weird']);
  });

  it('parseMessageDate: RFC 5322 3.3 and the obsolete forms of 4.3', () => {
    expect(parseMessageDate('Tue, 4 Mar 2025 10:15:04 +0000')).toBe(Date.UTC(2025, 2, 4, 10, 15, 4));
    expect(parseMessageDate('4 Mar 2025 10:15 -0130')).toBe(Date.UTC(2025, 2, 4, 11, 45));
    expect(parseMessageDate('Thu, 29 Apr 99 23:34:45 EDT')).toBe(Date.UTC(1999, 3, 30, 3, 34, 45));
    expect(parseMessageDate('Thu, 29 Apr 15 23:34:45 GMT')).toBe(Date.UTC(2015, 3, 29, 23, 34, 45));
    expect(parseMessageDate('29 Apr 2015 23:34:45.6789 (UTC)')).toBe(Date.UTC(2015, 3, 29, 23, 34, 45, 678));
    expect(parseMessageDate('Thu, 29 Apr 2015 23:34:45 Z')).toBe(Date.UTC(2015, 3, 29, 23, 34, 45));
    // Military letters other than Z: -0000 (RFC 5322 4.3).
    expect(parseMessageDate('Thu, 29 Apr 2015 23:34:45 A')).toBe(Date.UTC(2015, 3, 29, 23, 34, 45));
    for (const bad of ['', '31 Feb 2025 10:00:00 +0000', '4 Mar 2025 25:00:00 +0000', '4 Foo 2025 10:00:00 +0000', '4 Mar 2025 10:00:00 constructor', '4/3/2025 10:00']) expect(parseMessageDate(bad)).toBeNull();
  });
});
