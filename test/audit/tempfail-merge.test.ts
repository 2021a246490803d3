import { describe, expect, it } from 'vitest';
import { mergeTempfails, tempfailFinding } from '../../src/findings/status.js';

const timeout = { kind: 'tempfail', reason: 'timeout', code: 'ETIMEOUT' } as const;
const noServer = { kind: 'tempfail', reason: 'no-server', code: 'ENOSERVER' } as const;
const servfail = { kind: 'tempfail', reason: 'servfail', code: 'ESERVFAIL' } as const;

describe('mergeTempfails', () => {
  it('folds lookups not sent (ENOSERVER) into the timeouts that made the resolver suspect: one finding', () => {
    const merged = mergeTempfails([
      tempfailFinding('a.test', 'MX', timeout),
      tempfailFinding('a.test', 'TXT', timeout),
      tempfailFinding('_dmarc.a.test', 'TXT', noServer),
      tempfailFinding('autodiscover.a.test', 'CNAME', noServer),
    ]);
    expect(merged).toHaveLength(1);
    expect(merged[0]?.evidence).toBe('a.test MX, a.test TXT, _dmarc.a.test TXT, autodiscover.a.test CNAME: ETIMEOUT (2 of them not sent: ENOSERVER, no resolver was answering)');
  });

  it('keeps ENOSERVER alone when nothing timed out, and SERVFAIL apart from both', () => {
    const merged = mergeTempfails([tempfailFinding('a.test', 'TXT', noServer), tempfailFinding('b.test', 'TXT', servfail)]);
    expect(merged.map((f) => f.evidence)).toEqual(['a.test TXT: ENOSERVER', 'b.test TXT: ESERVFAIL']);
  });
});
