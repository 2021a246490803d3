import { readFileSync } from 'node:fs';
import Ajv2020Module, { type ValidateFunction } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditMessage, type AuditedMessageReport } from '../../src/audit/message.js';
import { createDnsClient } from '../../src/dns/client.js';
import { renderMessageJson, type MessageRunInfo } from '../../src/report/message.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { FIXTURES } from '../support/fixtures.js';
import { buildMessage, createDkimKey, publishKey, signMessage, startMessageDns } from '../support/messages.js';
import { chunks, microsoftTrace, withTrace } from '../message/m365-headers.js';

/**
 * `message --format json` against schema/message.schema.json (ajv, JSON
 * Schema 2020-12, strict), which takes Finding, FindingCode, Cloud and
 * DomainReport from schema/report.schema.json: messages, header pastes,
 * every NDR fixture, and a report with --audit's DomainReport attached.
 */
const read = (f: string): { $id: string } => JSON.parse(readFileSync(new URL(`../../schema/${f}`, import.meta.url), 'utf8')) as { $id: string };
const report = read('report.schema.json');
const message = read('message.schema.json');
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const Ajv2020 = Ajv2020Module.default;
const ajv = new Ajv2020({ strict: true, allErrors: true });
ajv.addFormat('date-time', { type: 'string', validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
ajv.addSchema(report);
ajv.addSchema(message);
const validate = ajv.getSchema(message.$id) as ValidateFunction;

function expectValid(text: string, what: string): void {
  const ok = validate(JSON.parse(text));
  expect(ok, `${what}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`).toBe(true);
}

let server: TestDnsServer;
beforeAll(async () => {
  server = await startMessageDns();
});
afterAll(() => server.close());

const ctx = () => ({ dns: createDnsClient({ servers: [server.server], timeoutMs: 1500, retries: 0 }) });
const RUN: MessageRunInfo = { startedAt: '2026-05-06T10:00:00.000Z', finishedAt: '2026-05-06T10:00:01.000Z', version: '0.1.0', resolvers: ['127.0.0.1:53'], options: { input: '-', ip: null, audit: false, timeoutMs: 1500, retries: 0 } };

async function reportOf(input: string | Buffer, options: { audit?: boolean; ip?: string } = {}): Promise<AuditedMessageReport> {
  const r = await auditMessage(ctx(), chunks(input), options);
  if (r.kind !== 'report') throw new Error(r.notMessage.detail);
  return r.report;
}

describe('message --format json: schema/message.schema.json', () => {
  it('a junked message, a signed one, a header paste, and each NDR fixture validate', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'schema', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: 'megan@sender.test' }), [{ domain: 'sender.test', selector: 'schema', key }]);
    const trace = microsoftTrace({ ip: '203.0.113.7', mailFrom: 'megan@sender.test', headerFrom: 'sender.test', spf: 'fail', dkim: 'pass', dkimDomain: 'sender.test', dmarc: 'pass', action: 'none', compauth: 'pass', reason: '100', scl: 1, sfv: 'NSPM', dest: 'I' });
    const inputs: [string, string | Buffer][] = [
      ['m365-junked.eml', readFileSync(`${FIXTURES}message/m365-junked.eml`)],
      ['signed', withTrace(trace, signed)],
      ['header paste', withTrace(trace, signed).split('\r\n\r\n')[0] as string],
      ...['ndr-5.1.10.eml', 'ndr-5.7.1-send-as.eml', 'ndr-5.7.23.eml', 'ndr-5.7.57.eml', 'ndr-5.4.1.eml'].map((f): [string, Buffer] => [f, readFileSync(`${FIXTURES}message/ndr/${f}`)]),
    ];
    for (const [what, input] of inputs) {
      const r = await reportOf(input);
      expectValid(renderMessageJson(r, RUN), what);
      expectValid(renderMessageJson(r, null), `${what} without a run`);
    }
  });

  it('with --audit: the From domain\'s DomainReport is attached and validates against report.schema.json\'s DomainReport', async () => {
    const r = await reportOf(readFileSync(`${FIXTURES}message/ndr/ndr-5.7.23.eml`), { audit: true });
    expect(r.auditedDomain).toBe('contoso.com');
    expect(r.audit).toMatchObject({ domain: 'contoso.com' });
    expectValid(renderMessageJson(r, { ...RUN, options: { ...RUN.options, audit: true } }), 'audited');
  });

  it('refuses what the contract does not allow: an unknown field, a bad outcome, a fourth sentence', async () => {
    const r = await reportOf(readFileSync(`${FIXTURES}message/m365-junked.eml`));
    const doc = JSON.parse(renderMessageJson(r, RUN)) as { report: Record<string, unknown> & { diagnosis: { outcome: string; sentences: string[] } } };
    expect(validate({ ...doc, extra: 1 })).toBe(false);
    expect(validate({ ...doc, report: { ...doc.report, diagnosis: { ...doc.report.diagnosis, outcome: 'lost' } } })).toBe(false);
    expect(validate({ ...doc, report: { ...doc.report, diagnosis: { ...doc.report.diagnosis, sentences: ['a', 'b', 'c', 'd'] } } })).toBe(false);
    expect(validate(doc)).toBe(true);
  });
});
