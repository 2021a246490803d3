import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditDomain, CATALOG, createMemoryDnsClient, createZoneOverlay, parseZoneFile, VERSION } from 'm365audit';

describe('the package as a user imports it', () => {
  it('exports auditDomain and the catalog by the package name', async () => {
    const dns = createMemoryDnsClient({ 'contoso.example': { MX: [{ priority: 0, exchange: 'contoso-example.mail.protection.outlook.com' }] } });
    const r = await auditDomain({ dns }, 'contoso.example');
    expect(r.domain).toBe('contoso.example');
    expect(r.findings.map((f) => f.code)).toContain('MX_HOST_UNRESOLVED');
    expect(CATALOG.SPF_MISSING.severity).toBe('error');
  });

  it('exports the zone overlay: records audited before they are published', async () => {
    const live = createMemoryDnsClient({ 'contoso.example': { MX: [{ priority: 10, exchange: 'mx.old.example' }] } });
    const zone = parseZoneFile('@ MX 0 contoso-example.mail.protection.outlook.com.\n', { origin: 'contoso.example' });
    const dns = createZoneOverlay(live, [{ file: 'next.zone', zone }]);
    const r = await auditDomain({ dns }, 'contoso.example');
    expect(r.mx?.hosts.map((h) => h.exchange)).toEqual(['contoso-example.mail.protection.outlook.com']);
    expect(dns.used().answers).toEqual(['contoso.example MX']);
  });

  it('keeps VERSION equal to package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
