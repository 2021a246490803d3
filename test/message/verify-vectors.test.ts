import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { verifyDkim, type DkimResult } from '../../src/message/dkim-verify.js';
import { FIXTURES } from '../support/fixtures.js';
import { startMessageDns } from '../support/messages.js';

/**
 * Public DKIM whole-message vectors (fixtures/dkim-messages: stalwart
 * mail-auth, go-msgauth, mox, dkimpy; licences beside them), each message
 * verified against its key records served by the loopback DNS server. What
 * a source asserts is asserted (pass is pass; a source's fail is anything
 * but pass); beside it, every signature's exact verdict here.
 */
interface Vector {
  file: string;
  sha256: string;
  dns_txt: Record<string, string[]>;
  dns_txt_good?: Record<string, string[]>;
  dns_txt_rfc8463?: Record<string, string[]>;
  verify_time?: number;
  expected: { last_signature?: string; signatures?: ({ result: string | null } | null)[] };
}

const DIR = `${FIXTURES}dkim-messages/`;
const VECTORS = (JSON.parse(readFileSync(`${DIR}dkim-message-vectors.json`, 'utf8')) as { cases: Vector[] }).cases;

/** Every signature's verdict here, top first, by file and key set. */
const OURS: Record<string, DkimResult[]> = {
  'eml/stalwart-001.eml': ['pass', 'pass'],
  'eml/stalwart-002.eml': ['pass'],
  'eml/stalwart-003.eml': ['pass', 'pass'],
  'eml/stalwart-004.eml': ['pass'],
  'eml/stalwart-005.eml': ['pass'],
  'eml/stalwart-006.eml': ['pass'],
  'eml/go-msgauth-verified.eml': ['pass'],
  'eml/go-msgauth-ed25519-no-final-crlf.eml': ['pass', 'permerror'],
  'eml/go-msgauth-ed25519-no-final-crlf.eml rfc8463': ['pass', 'pass'],
  'eml/go-msgauth-unsigned.eml': [],
  'eml/mox-ueber-net.eml': ['pass'],
  'eml/dkimpy-rfc6376-signed.eml': ['pass', 'pass'],
  'eml/dkimpy-rfc6376-signed-rsa-badkey.eml': ['permerror'],
  'eml/dkimpy-rfc6376-signed-rsa-badkey.eml good': ['pass'],
  'eml/dkimpy-gmail-degenerate-folding.eml': ['pass'],
  'eml/dkimpy-exim-ed25519.eml': ['pass'],
  'eml/dkimpy-baddomain.eml': ['permerror'],
};

let server: TestDnsServer;
beforeAll(async () => {
  server = await startMessageDns();
});
afterAll(() => server.close());

async function verifyWith(v: Vector, records: Record<string, string[]>): Promise<DkimResult[]> {
  for (const [name, strings] of Object.entries(records)) server.zones.replace(name, 'TXT', [strings.join('')]);
  try {
    const dns = createDnsClient({ servers: [server.server], timeoutMs: 1500, retries: 0 });
    // Where x= is set the source verifies at verify_time; the others at a fixed time after every t=.
    const clock = (): Date => new Date((v.verify_time ?? 1_800_000_000) * 1000);
    const r = await verifyDkim({ dns, clock }, readFileSync(`${DIR}${v.file}`));
    expect(r.problem).toBeNull();
    return r.signatures.map((s) => s.result);
  } finally {
    for (const name of Object.keys(records)) server.zones.remove(name);
  }
}

describe('DKIM message vectors (fixtures/dkim-messages)', () => {
  it('has the 15 cases, each file as the research fetched it', () => {
    expect(VECTORS).toHaveLength(15);
    for (const v of VECTORS) expect([v.file, createHash('sha256').update(readFileSync(`${DIR}${v.file}`)).digest('hex')]).toEqual([v.file, v.sha256]);
  });

  it.each(VECTORS.map((v) => [v.file, v] as const))('%s: what the source asserts', async (_file, v) => {
    const results = await verifyWith(v, v.dns_txt);
    const asserted = (want: string | null | undefined, got: DkimResult | undefined): void => {
      if (want === null || want === undefined) return;
      if (want === 'pass') expect(got).toBe('pass');
      else expect(got).not.toBe('pass');
    };
    if (v.expected.last_signature !== undefined) asserted(v.expected.last_signature, results[results.length - 1]);
    if (v.expected.signatures !== undefined) {
      expect(results).toHaveLength(v.expected.signatures.length);
      v.expected.signatures.forEach((s, i) => asserted(s?.result, results[i]));
    }
    expect(results).toEqual(OURS[v.file]);
  });

  it.each(VECTORS.flatMap((v) => [
    ...(v.dns_txt_good ? [[`${v.file} good`, v, v.dns_txt_good] as const] : []),
    ...(v.dns_txt_rfc8463 ? [[`${v.file} rfc8463`, v, v.dns_txt_rfc8463] as const] : []),
  ]))('%s: with the other key set the source gives', async (label, v, records) => {
    expect(await verifyWith(v, records)).toEqual(OURS[label]);
  });
});
