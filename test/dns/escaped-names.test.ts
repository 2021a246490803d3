import dgram from 'node:dgram';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import { createSecureDnsClient } from '../../src/dns/secure.js';
import { shareMxWithSecure } from '../../src/dns/shared-mx.js';

/**
 * Names that node:dns (c-ares) and dns-packet write differently: a label
 * holding a dot or a control byte (c-ares escapes it, dns-packet joins the
 * labels as they are), and a record whose RDLENGTH hides bytes dns-packet
 * reads as another record. The MX area and the DKIM alias must read them as
 * node:dns does, or a bogus record reads as Microsoft's host.
 */
const ONE_LABEL = 'contoso-com.mail.protection.outlook.com';
const CONTROL = 'contoso-com\x01x';
const ALIAS = 'sel-contoso-test._domainkey.tenant.onmicrosoft.test';

/** Encodes `reply` with placeholders of the same length in one label, then puts each label's own bytes in place. */
function withLabels(reply: packet.Packet, labels: Record<string, string>): Buffer {
  const wire = packet.encode(reply);
  for (const [placeholder, label] of Object.entries(labels)) {
    let at = wire.indexOf(Buffer.from(placeholder));
    while (at >= 0) {
      wire.write(label, at, 'latin1');
      at = wire.indexOf(Buffer.from(placeholder), at + 1);
    }
  }
  return wire;
}

const placeholder = (s: string, c: string): string => c.repeat(s.length);
const opt = (q: packet.Packet): packet.Packet['additionals'] => ((q.additionals ?? []).some((a) => a.type === 'OPT') ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: packet.DNSSEC_OK } as packet.Answer] : undefined);

const wireName = (n: string): Buffer => Buffer.concat([...n.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);

/** An MX record: owner (a pointer to the question), type, class, TTL, RDLENGTH, preference and `rdata` after it. */
function mxRecord(exchange: Buffer, extra: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0);
  head.writeUInt16BE(15, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt32BE(60, 6);
  head.writeUInt16BE(2 + exchange.length + extra.length, 10);
  return Buffer.concat([head, Buffer.from([0, 10]), exchange, extra]);
}

/**
 * Two MX records by the header; the first one's RDLENGTH covers a third,
 * hidden record after its exchange. c-ares steps by RDLENGTH (mx.contoso.test,
 * mx2.contoso.test); dns-packet steps by what it decoded and reads the hidden
 * one second (Microsoft's host).
 */
function paddedMx(msg: Buffer): Buffer {
  const q = packet.decode(msg);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id ?? 0, 0);
  header.writeUInt16BE(0x8180, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(2, 6);
  const question = Buffer.concat([wireName('padded.test'), Buffer.from([0, 15, 0, 1])]);
  const hidden = mxRecord(wireName('contoso-com.mail.protection.outlook.com'));
  return Buffer.concat([header, question, mxRecord(wireName('mx.contoso.test'), hidden), mxRecord(wireName('mx2.contoso.test'))]);
}

function reply(msg: Buffer): Buffer {
  const q = packet.decode(msg);
  const question = q.questions?.[0];
  const base = { type: 'response' as const, id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: q.questions, additionals: opt(q) };
  const name = question?.name ?? '';
  if (name === 'dotted.test') {
    return withLabels({ ...base, answers: [{ type: 'MX', name, ttl: 60, data: { preference: 0, exchange: placeholder(ONE_LABEL, 'x') } }] }, { [placeholder(ONE_LABEL, 'x')]: ONE_LABEL });
  }
  if (name === 'control.test') {
    return withLabels({ ...base, answers: [{ type: 'MX', name, ttl: 60, data: { preference: 0, exchange: `${placeholder(CONTROL, 'y')}.example` } }] }, { [placeholder(CONTROL, 'y')]: CONTROL });
  }
  if (name === 'padded.test') return paddedMx(msg);
  if (name === 'sel._domainkey.contoso.test' && question?.type === 'TXT') {
    return withLabels({ ...base, answers: [
      { type: 'CNAME', name, ttl: 60, data: placeholder(ALIAS, 'z') },
      { type: 'TXT', name: placeholder(ALIAS, 'z'), ttl: 60, data: 'v=DKIM1; k=rsa; p=' },
    ] }, { [placeholder(ALIAS, 'z')]: ALIAS });
  }
  if (name === 'sel._domainkey.contoso.test' && question?.type === 'CNAME') {
    return withLabels({ ...base, answers: [{ type: 'CNAME', name, ttl: 60, data: placeholder(ALIAS, 'z') }] }, { [placeholder(ALIAS, 'z')]: ALIAS });
  }
  return packet.encode({ ...base, answers: [] });
}

let sock: dgram.Socket;
let server: string;
const asked: string[] = [];
beforeAll(async () => {
  sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const q = packet.decode(msg);
    asked.push(`${q.questions?.[0]?.name} ${q.questions?.[0]?.type}`);
    sock.send(reply(msg), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  server = `127.0.0.1:${sock.address().port}`;
});
afterAll(() => sock.close());

const clients = () => {
  const dns = createDnsClient({ servers: [server], timeoutMs: 2000, retries: 1 });
  const secure = createSecureDnsClient({ servers: [server], timeoutMs: 2000, retries: 1 });
  return { dns, secure, shared: shareMxWithSecure(dns, secure) };
};

describe('names node:dns writes escaped', () => {
  it.each([
    ['a label holding dots', 'dotted.test', ONE_LABEL, 'contoso-com\\.mail\\.protection\\.outlook\\.com'],
    ['a label holding a control byte', 'control.test', `${CONTROL}.example`, 'contoso-com\\001x.example'],
  ])('%s: flagged by the secure client; the MX area reads it as node:dns writes it', async (_, domain, asPacket, asCares) => {
    const { secure, shared } = clients();
    expect(await secure.query(domain, 'MX')).toMatchObject({ kind: 'records', escapedNames: true, records: [{ exchange: asPacket.toLowerCase(), priority: 0 }] });
    expect(await shared.resolve(domain, 'MX')).toEqual({ kind: 'records', records: [{ exchange: asCares, priority: 0 }] });
  });

  it('an MX whose RDLENGTH hides another record: flagged, and the MX area reads the records node:dns reads', async () => {
    const { secure, shared } = clients();
    const seen = await secure.query('padded.test', 'MX');
    expect(seen).toMatchObject({ kind: 'records', escapedNames: true });
    expect(await shared.resolve('padded.test', 'MX')).toEqual({ kind: 'records', records: [{ exchange: 'mx.contoso.test', priority: 10 }, { exchange: 'mx2.contoso.test', priority: 10 }] });
  });

  it('a DKIM alias to a dotted label is not read from the key\'s reply: the CNAME is asked, and read as node:dns writes it', async () => {
    const { dns } = clients();
    asked.length = 0;
    const txt = dns.resolve('sel._domainkey.contoso.test', 'TXT');
    expect(await dns.resolve('sel._domainkey.contoso.test', 'CNAME')).toEqual({ kind: 'records', records: ['sel-contoso-test\\._domainkey\\.tenant\\.onmicrosoft\\.test'] });
    expect((await txt).kind).toBe('records');
    expect(asked).toContain('sel._domainkey.contoso.test CNAME');
  });
});
