import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiProgram, formatPublicApi, readPublicApi, ROOT, type PublicName } from './public-api.js';

/** The committed list of public names: a change to the API shows as a diff of this file. */
const LISTING = path.join(ROOT, 'test/api/public-api.txt');
const UPDATE = 'UPDATE_PUBLIC_API';

/** Functions that check, look up, discover or audit: each takes its context (a LookupContext, or the AuditContext or TransportContext that extend it) first. */
const CONTEXT_FIRST = /^(check|lookup|discover|audit|plan|run|count|review)[A-Z]/;
// MtaStsContext and PlanContext: a LookupContext / AuditContext with the HTTPS client of the MTA-STS policy fetch.
const CONTEXTS = new Set(['LookupContext', 'AuditContext', 'TransportContext', 'MtaStsContext', 'PlanContext']);

let api: PublicName[];
beforeAll(() => {
  api = readPublicApi(createApiProgram());
}, 60_000);

describe('the public API (m365audit and m365audit/sandbox)', () => {
  it('is the list committed in test/api/public-api.txt', () => {
    const now = formatPublicApi(api);
    if (process.env[UPDATE] === '1') writeFileSync(LISTING, now);
    const committed = readFileSync(LISTING, 'utf8');
    const was = new Set(committed.split('\n'));
    const is = new Set(now.split('\n'));
    const added = [...is].filter((l) => l !== '' && !was.has(l));
    const removed = [...was].filter((l) => l !== '' && !is.has(l));
    const message = `the public API changed (added: ${added.join(', ') || 'none'}; removed: ${removed.join(', ') || 'none'}). ` +
      `If that is intended, update the list: ${UPDATE}=1 npx vitest run test/api/public-api.test.ts, and commit test/api/public-api.txt`;
    expect(now, message).toBe(committed);
  });

  it('has both entries, each name once per entry', () => {
    const main = api.filter((n) => n.entry === 'm365audit');
    const sandbox = api.filter((n) => n.entry === 'm365audit/sandbox');
    expect(main.length).toBeGreaterThan(0);
    expect(sandbox.length).toBeGreaterThan(0);
    expect(new Set(main.map((n) => n.name)).size).toBe(main.length);
    // The README's library example, and what a user needs to audit a domain.
    expect(main.filter((n) => ['auditDomain', 'createDnsClient', 'renderHtml', 'checkSpf', 'checkDkim', 'checkDmarc', 'checkMx', 'checkAutodiscover', 'checkVerification'].includes(n.name)).map((n) => n.kind))
      .toEqual(Array(9).fill('function'));
    expect(sandbox.map((n) => n.name)).toContain('startDnsServer');
  });

  it('documents every export with a TSDoc comment on its declaration', () => {
    const missing = api.flatMap((n) => n.undocumented.map((where) => `${n.entry}: ${n.kind} ${n.name} (${where})`));
    expect(missing, `exports without a /** … */ comment on their declaration:\n${missing.join('\n')}`).toEqual([]);
  });

  it('gives every check, lookup and audit function its context object first', () => {
    const checked = api.filter((n) => n.kind === 'function' && CONTEXT_FIRST.test(n.name));
    expect(checked.map((n) => n.name)).toEqual(expect.arrayContaining(['auditDomain', 'checkHost', 'checkSpf', 'discoverDmarcPolicy', 'lookupSpfTree', 'runBatch']));
    const wrong = checked.filter((n) => !CONTEXTS.has(n.firstParameter ?? '')).map((n) => `${n.name}(${n.firstParameter ?? ''}, …) at ${n.where}`);
    expect(wrong, 'these take something other than a LookupContext or AuditContext first').toEqual([]);
  });
});
