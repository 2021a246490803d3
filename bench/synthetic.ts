import { generateKeyPairSync } from 'node:crypto';
import { ZoneStore } from '../src/sandbox/zone-store.js';

/**
 * N synthetic tenant domains for the benchmark, a realistic mix:
 * 40% ready; 20% with several shared SPF includes; 20% without DKIM;
 * 20% on p=none with an external report address (one authorization lookup
 * each). Shared trees (spf.protection.outlook.com, _spf.google.com, the
 * report provider) are the same names for every domain, as in real batches.
 */
export function syntheticDomain(i: number): string {
  return `tenant${i}.bench.test`;
}

export function buildSyntheticZones(n: number, base: ZoneStore): ZoneStore {
  const keys = [0, 1, 2, 3].map(() => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
  });
  const z = base;
  z.addZone('bench.test', '$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n');
  // _spf.google.com and its tree come from fixtures/infra/google.com.zone.
  z.addRecord('servers.mcsv.net', 'TXT', 'v=spf1 ip4:198.51.100.96/28 ip4:198.51.100.112/28 -all');
  z.addRecord('_dmarc.reports.example', 'TXT', 'v=DMARC1; p=reject');
  z.addRecord('*._report._dmarc.reports.example', 'TXT', 'v=DMARC1');
  for (let i = 0; i < n; i++) {
    const d = syntheticDomain(i);
    const token = d.replace(/\./g, '-');
    const tenant = `tenant${i}`;
    const kind = i % 5; // 0,1 ready; 2 includes; 3 no DKIM; 4 p=none + external rua
    z.addRecord(d, 'MX', { priority: 0, exchange: `${token}.mail.protection.outlook.com` });
    z.addRecord(`${token}.mail.protection.outlook.com`, 'A', '198.51.100.209');
    z.addRecord(d, 'TXT', kind === 2
      ? 'v=spf1 include:spf.protection.outlook.com include:_spf.google.com include:servers.mcsv.net -all'
      : 'v=spf1 include:spf.protection.outlook.com -all');
    z.addRecord(d, 'TXT', `MS=ms${String(10000000 + i).slice(-8)}`);
    z.addRecord(`autodiscover.${d}`, 'CNAME', 'autodiscover.outlook.com');
    if (kind !== 3) {
      for (const s of [1, 2]) {
        const target = `selector${s}-${token}._domainkey.${tenant}.onmicrosoft.com`;
        z.addRecord(`selector${s}._domainkey.${d}`, 'CNAME', target);
        z.addRecord(target, 'TXT', keys[(i + s) % keys.length] as string);
      }
      z.addRecord(`_dmarc.${tenant}.onmicrosoft.com`, 'TXT', 'v=DMARC1; p=reject');
    }
    z.addRecord(`_dmarc.${d}`, 'TXT', kind === 4
      ? 'v=DMARC1; p=none; rua=mailto:agg@reports.example'
      : `v=DMARC1; p=reject; rua=mailto:dmarc@${d}`);
  }
  return z;
}
