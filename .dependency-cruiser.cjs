/**
 * The house (DESIGN.md "Architecture"), checked in `npm test`. One line per
 * floor, top floor first: a folder of src/ imports only from floors below
 * its own, never from its own floor's other folders, never upward. Type-only
 * imports count the same, except on the ground floor, which "imports nothing
 * of the project but types".
 */
const FLOORS = [
  ['cli'], //                                  commander program, options, I/O
  ['report'], //                               renderers of every kind, one safe-text module
  ['audit'], //                                auditDomain, batch, plan, probes: the orchestration
  ['message'], //                              message and NDR analysis
  ['spf', 'dkim', 'dmarc', 'smtp', 'transport'], // the area checks and protocols
  ['m365'], //                                 Microsoft's facts: clouds, tenant; MX, autodiscover, verification
  ['dns', 'http'], //                          DnsClient, raw client, overlay, LookupContext; one HTTPS request
  ['domain'], //                               names, normalisation, host:port
  ['findings', 'util'], //                     Finding, catalog, grade; text caps and trims, freezing, deadlines
];
/**
 * Beside the house: the loopback servers, used by cli, bench and tests; they use
 * dns types only, and the one zone-file parser (the same that reads --zone).
 */
const SANDBOX = 'sandbox';
const ZONE_FILE = '^src/dns/zone-file\\.ts$';

const folder = (f) => `^src/${f}/`;
const any = (fs) => `^src/(${fs.join('|')})/`;
const ground = FLOORS[FLOORS.length - 1];

const floorRules = FLOORS.flatMap((floor, i) => {
  const above = FLOORS.slice(0, i).flat();
  return floor.flatMap((f) => {
    const rules = [];
    const siblings = floor.filter((x) => x !== f);
    const banned = [...above, ...siblings];
    if (banned.length > 0) {
      rules.push({
        name: `floor-${f}`,
        comment: `src/${f} may import only from the floors below it`,
        severity: 'error',
        from: { path: folder(f) },
        to: { path: any(banned), ...(ground.includes(f) ? { dependencyTypesNot: ['type-only'] } : {}) },
      });
    }
    return rules;
  });
});

module.exports = {
  forbidden: [
    ...floorRules,
    { name: 'no-cycles', comment: 'no import cycles, at any depth', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
    { name: 'src-not-test', comment: 'product code never imports the tests', severity: 'error', from: { path: '^src/' }, to: { path: '^(test|bench)/' } },
    { name: 'house-not-sandbox', comment: 'only the cli, the benchmark and the tests use the sandbox', severity: 'error', from: { path: '^src/', pathNot: ['^src/cli/', `^src/${SANDBOX}/`] }, to: { path: folder(SANDBOX) } },
    { name: 'sandbox-uses-dns-types', comment: 'the sandbox uses dns types only (and the zone-file parser)', severity: 'error', from: { path: folder(SANDBOX) }, to: { path: '^src/', pathNot: [folder(SANDBOX), '^src/dns/types\\.ts$', ZONE_FILE] } },
    { name: 'sandbox-dns-types-only', severity: 'error', from: { path: folder(SANDBOX) }, to: { path: '^src/dns/', pathNot: [ZONE_FILE], dependencyTypesNot: ['type-only'] } },
    { name: 'api-is-the-top', comment: 'nothing imports the public API module', severity: 'error', from: { path: '^src/' }, to: { path: '^src/index\\.ts$' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
