import dgram from 'node:dgram';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import { createSecureDnsClient } from '../../src/dns/secure.js';
import { shareMxWithSecure } from '../../src/dns/shared-mx.js';

/**
 * A name whose one label holds dots: node:dns (c-ares) writes it escaped,
 * dns-packet joins it with the other labels as if the dots were label
 * breaks. The MX area must read it as node:dns does, or a bogus record
 * reads as Microsoft's host.
 */
const ONE_LABEL = 'contoso-com.mail.protection.outlook.com';

/** The wire form of an MX reply to `query` whose exchange is ONE_LABEL as a single label. */
function oddMxReply(query: Buffer): Buffer {
  const q = packet.decode(query);
  const withOpt = (q.additionals ?? []).some((a) => a.type === 'OPT');
  // Encoded with a placeholder exchange of the same length in one label, then the label's bytes put in place.
  const placeholder = 'x'.repeat(ONE_LABEL.length);
  const reply = packet.encode({
    type: 'response', id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: q.questions,
    answers: [{ type: 'MX', name: q.questions?.[0]?.name ?? '', ttl: 60, data: { preference: 0, exchange: placeholder } }],
    ...(withOpt ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: packet.DNSSEC_OK } as packet.Answer] } : {}),
  });
  const at = reply.indexOf(Buffer.from(placeholder));
  reply.write(ONE_LABEL, at, 'latin1');
  return reply;
}

let sock: dgram.Socket;
let server: string;
beforeAll(async () => {
  sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => void sock.send(oddMxReply(msg), rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  server = `127.0.0.1:${sock.address().port}`;
});
afterAll(() => sock.close());

describe('a label with dots in it (an MX exchange)', () => {
  it('is flagged by the secure client, and the MX area reads it as node:dns writes it, never as Microsoft\'s host', async () => {
    const dns = createDnsClient({ servers: [server], timeoutMs: 2000, retries: 1 });
    const secure = createSecureDnsClient({ servers: [server], timeoutMs: 2000, retries: 1 });
    const seen = await secure.query('odd.test', 'MX');
    expect(seen).toMatchObject({ kind: 'records', escapedNames: true, records: [{ exchange: ONE_LABEL, priority: 0 }] });
    const shared = shareMxWithSecure(dns, secure);
    const mx = await shared.resolve('odd.test', 'MX');
    expect(mx).toEqual({ kind: 'records', records: [{ exchange: 'contoso-com\\.mail\\.protection\\.outlook\\.com', priority: 0 }] });
  });
});
