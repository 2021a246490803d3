import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { verifyDkim } from '../../src/message/dkim-verify.js';
import { startMessageDns } from '../support/messages.js';
import { FIXTURES } from '../support/fixtures.js';

let server: TestDnsServer;
beforeAll(async () => { server = await startMessageDns(); });
afterAll(() => server.close());

it('vectors', async () => {
  const v = JSON.parse(readFileSync(`${FIXTURES}dkim-messages/dkim-message-vectors.json`, 'utf8'));
  for (const c of v.cases) {
    for (const [name, recs] of Object.entries(c.dns_txt)) server.zones.replace(name, 'TXT', [(recs as string[]).join('')]);
    const dns = createDnsClient({ servers: [server.server], timeoutMs: 1500, retries: 0 });
    const clock = () => new Date((c.verify_time ?? 1700000000) * 1000);
    const r = await verifyDkim({ dns, clock }, readFileSync(`${FIXTURES}dkim-messages/${c.file}`));
    console.log(c.file, JSON.stringify(c.expected), JSON.stringify(c.computed_dkimpy_1_1_4), JSON.stringify(r.signatures.map(s => [s.domain, s.selector, s.result, s.reason, s.bodyHash, s.key?.status, s.key?.bits])), r.problem);
    for (const name of Object.keys(c.dns_txt)) server.zones.remove(name);
  }
});
