import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv2020Module, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { DomainReport } from '../audit/audit.js';
import type { ProbeResult } from '../smtp/types.js';
import { reconstructRun, type RunInfo } from './run.js';
import { cleanText } from './sanitize.js';

export interface SavedRun {
  reports: DomainReport[];
  probe: ProbeResult | null;
  /** The saved run's audit trail; rebuilt from the reports' auditedAt (`reconstructed`) when a jsonl file lacks it. */
  run: RunInfo;
}

/** RFC 3339 date-time, the one format the schema uses (ajv-formats would be one more dependency for one regex). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;
/** An error message names at most this much of the file's own text (a field name may be anything). */
const MAX_PATH_SEGMENT = 40;
const MAX_REASON = 300;

interface Validators {
  document: ValidateFunction;
  line: ValidateFunction;
}

let validators: Validators | null = null;

/**
 * schema/report.schema.json compiled once, at the first saved run read (only
 * `report` reads one). The file is found through the package's own name and
 * its `exports`, so src/ (tests) and dist/src/ (the binary) find the same file.
 */
function schemaValidators(): Validators {
  if (validators) return validators;
  const file = createRequire(import.meta.url).resolve('m365audit/schema/report.schema.json');
  const schema = JSON.parse(readFileSync(file, 'utf8')) as { $id: string };
  // ajv is CommonJS: under NodeNext its class is the module's `default`.
  const ajv = new Ajv2020Module.default({ strict: true, allErrors: false });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
  ajv.addSchema(schema);
  const get = (ref: string): ValidateFunction => {
    const v = ajv.getSchema(ref);
    if (!v) throw new Error(`schema/report.schema.json has no ${ref}`);
    return v;
  };
  validators = { document: get(schema.$id), line: get(`${schema.$id}#/$defs/JsonlLine`) };
  return validators;
}

/**
 * Reads a saved run: the `--format json` document or `--format jsonl` lines,
 * each validated against schema/report.schema.json. Returns the run, or a
 * one-line reason naming the first field that is not as the schema says.
 */
export function parseSavedRun(text: string): SavedRun | { error: string } {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return { error: 'the input is empty' };
  const v = schemaValidators();
  let whole: unknown;
  try {
    whole = JSON.parse(trimmed);
  } catch {
    whole = undefined;
  }
  if (whole !== undefined && typeof whole === 'object' && whole !== null && !Array.isArray(whole) && 'domains' in whole) {
    if (!v.document(whole)) return { error: explain(v.document.errors) };
    const doc = whole as { domains: DomainReport[]; probe: ProbeResult | ProbeResult[] | null; run: RunInfo };
    return { reports: doc.domains, probe: firstProbe(doc.probe), run: doc.run };
  }
  const reports: DomainReport[] = [];
  let probe: ProbeResult | null = null;
  let run: RunInfo | null = null;
  const lines = trimmed.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { error: `line ${i + 1} is not JSON` };
    }
    if (!v.line(value)) return { error: `line ${i + 1}: ${explain(v.line.errors)}` };
    // The last line of a run carries its probe and run (renderJsonLine): they are the run's, not the report's.
    const { probe: p, run: r, ...report } = value as DomainReport & { probe?: ProbeResult | null; run?: RunInfo };
    if (r !== undefined) run = r;
    if (p !== undefined) probe = p;
    reports.push(report);
  }
  return { reports, probe, run: run ?? reconstructRun(reports) };
}

function firstProbe(p: ProbeResult | ProbeResult[] | null): ProbeResult | null {
  return Array.isArray(p) ? (p[0] ?? null) : p;
}

/**
 * The first schema violation as one line: where (`domains[0].tenant`) and
 * what. For a field that may take several shapes (anyOf), the shapes
 * expected. The file's own text (field names) is cleaned and cut.
 */
function explain(errors: ErrorObject[] | null | undefined): string {
  const list = errors ?? [];
  // A value of the right type that fails inside (an enum, a missing field) says more than "must be null".
  const inside = list.find((e) => e.keyword !== 'type' && e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  // Else the deepest type error: the branch whose type matched got furthest.
  const first = inside ?? list.reduce<ErrorObject | undefined>((best, e) => (!best || e.instancePath.length > best.instancePath.length ? e : best), undefined);
  if (!first) return 'not a saved m365audit run';
  const path = first.instancePath;
  let at = path;
  let what: string;
  if (first.keyword === 'type') {
    // Every shape a field may take (anyOf) failed on its type: name them all.
    const types = [...new Set(list.filter((e) => e.instancePath === path && e.keyword === 'type').flatMap((e) => String((e.params as { type: unknown }).type).split(',')))];
    what = `must be ${orList(types)}`;
  } else if (first.keyword === 'enum') {
    what = `must be one of ${((first.params as { allowedValues: unknown[] }).allowedValues).map((x) => JSON.stringify(x)).join(', ')}`;
  } else if (first.keyword === 'const') {
    what = `must be ${JSON.stringify((first.params as { allowedValue: unknown }).allowedValue)}`;
  } else if (first.keyword === 'required') {
    at = `${path}/${(first.params as { missingProperty: string }).missingProperty}`;
    what = 'is missing';
  } else if (first.keyword === 'additionalProperties' || first.keyword === 'unevaluatedProperties') {
    const p = first.params as { additionalProperty?: string; unevaluatedProperty?: string };
    at = `${path}/${p.additionalProperty ?? p.unevaluatedProperty ?? '?'}`;
    what = 'is not a field the schema knows';
  } else {
    what = first.message ?? 'is not valid';
  }
  return bound(`${pathText(at)} ${what}`);
}

function orList(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1] as string}`;
}

/** `/domains/0/findings/1/severity` as `domains[0].findings[1].severity`; the top level as `the document`. */
function pathText(pointer: string): string {
  if (pointer === '') return 'the document';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else {
      const clean = cleanText(seg);
      const cut = clean.length > MAX_PATH_SEGMENT ? `${clean.slice(0, MAX_PATH_SEGMENT - 1)}…` : clean;
      out += /^[A-Za-z_$][\w$-]*$/.test(seg) ? `${out ? '.' : ''}${cut}` : `[${JSON.stringify(cut)}]`;
    }
  }
  return out;
}

function bound(s: string): string {
  const one = cleanText(s);
  return one.length > MAX_REASON ? `${one.slice(0, MAX_REASON - 1)}…` : one;
}
