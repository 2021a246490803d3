import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type Ajv2020Module from 'ajv/dist/2020.js';
import type { DomainReport } from '../audit/audit.js';
import type { ProbeResult } from '../smtp/types.js';
import { createRunReconstruction, reconstructRun, type RunInfo } from './run.js';
import { cleanText } from './safe-text.js';

/** A saved run read back whole by parseSavedRun: its reports, probe and audit trail. */
export interface SavedRun {
  reports: DomainReport[];
  probe: ProbeResult | null;
  /** The saved run's audit trail; rebuilt from the reports' auditedAt (`reconstructed`) when the file lacks it. */
  run: RunInfo;
}

/** The end of a saved run read as a stream: its probe and trail, and how many reports were handed on. */
export interface SavedRunEnd {
  probe: ProbeResult | null;
  run: RunInfo;
  count: number;
}

/** Why a saved run is refused: one line. `tooLarge`: a --format json document over the bound (its size in bytes, null when unknown: stdin). */
export interface SavedRunError {
  error: string;
  tooLarge?: { bytes: number | null };
}

/**
 * Largest `--format json` document `report` reads. The document is parsed
 * whole (JSON.parse), which takes about five times its size: a 144 MiB
 * document of 60,000 reports peaked at 756 MB RSS (a string over 512 MiB
 * cannot exist in V8 at all). jsonl has no bound: it is read a line at a
 * time, the same 60,000 reports in 120 MB RSS.
 */
export const MAX_DOCUMENT_BYTES = 128 * 1024 * 1024;

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
 * `report` reads one; ajv itself is loaded then too). The file is found through the package's own name and
 * its `exports`, so src/ (tests) and dist/src/ (the binary) find the same file.
 */
function schemaValidators(): Validators {
  if (validators) return validators;
  const require = createRequire(import.meta.url);
  const file = require.resolve('m365audit/schema/report.schema.json');
  const schema = JSON.parse(readFileSync(file, 'utf8')) as { $id: string };
  // ajv (CommonJS, +8 MB RSS once loaded) is loaded here, not with the module: batch imports this file
  // for --resume and would carry it on every run. Under NodeNext its class is the module's `default`.
  const Ajv = (require('ajv/dist/2020.js') as typeof Ajv2020Module).default;
  const ajv = new Ajv({ strict: true, allErrors: false });
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

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The sections a report gained with the transport areas (issue 16). */
const TRANSPORT_SECTIONS = ['mtaSts', 'tlsRpt', 'dnssec', 'dane'] as const;

/**
 * The upgrade step, before validation: a saved run of an earlier version is
 * brought to today's shape where the meaning is clear, and nothing else is
 * touched (a field of the wrong type is still refused by the schema).
 *
 * - a report without `auditedAt` (saved before the audit trail): `auditedAt: null`;
 * - a report graded `unknown` with a numeric score (saved before such
 *   reports lost their score): `score: null`;
 * - a report without the transport sections (saved before MTA-STS, TLS-RPT,
 *   DNSSEC and DANE were audited): each `null` (not audited).
 *
 * Returns whether the report was from before the audit trail.
 */
export function upgradeSavedReport(report: unknown): boolean {
  if (!isObject(report)) return false;
  const old = !('auditedAt' in report);
  if (old) report.auditedAt = null;
  if (report.grade === 'unknown' && typeof report.score === 'number') report.score = null;
  for (const key of TRANSPORT_SECTIONS) if (!(key in report)) report[key] = null;
  return old;
}

/** A saved `run` from before the run recorded its coverage: `complete`, `rowsRead` and `rowsReported` null (not recorded). */
export function upgradeSavedRunInfo(run: unknown): void {
  if (!isObject(run)) return;
  for (const key of ['complete', 'rowsRead', 'rowsReported']) if (!(key in run)) run[key] = null;
}

/** One JSON document (`--format json`), upgraded and validated. A document without `run` (saved before the audit trail) gets a reconstructed one. */
function parseDocument(whole: Json): SavedRun | SavedRunError {
  const v = schemaValidators();
  const domains = Array.isArray(whole.domains) ? (whole.domains as unknown[]) : [];
  for (const r of domains) upgradeSavedReport(r);
  if ('run' in whole) upgradeSavedRunInfo(whole.run);
  else whole.run = reconstructRun(domains.filter(isObject) as Pick<DomainReport, 'auditedAt'>[]);
  if (!v.document(whole)) return { error: explain(v.document.errors) };
  const doc = whole as unknown as { domains: DomainReport[]; probe: ProbeResult | ProbeResult[] | null; run: RunInfo };
  return { reports: doc.domains, probe: firstProbe(doc.probe), run: doc.run };
}

/** One jsonl line of a saved run: a report, upgraded and validated; the last line of a run also carries its probe and run. */
export interface SavedLine {
  report: DomainReport;
  probe?: ProbeResult | null;
  run?: RunInfo;
  /** Saved before the audit trail (no auditedAt). */
  old: boolean;
}

function parseLine(text: string, lineNo: number): SavedLine | SavedRunError {
  const v = schemaValidators();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: `line ${lineNo} is not JSON` };
  }
  const old = upgradeSavedReport(value);
  if (isObject(value) && 'run' in value) upgradeSavedRunInfo(value.run);
  if (!v.line(value)) return { error: `line ${lineNo}: ${explain(v.line.errors)}` };
  // The last line of a run carries its probe and run (renderJsonLine): they are the run's, not the report's.
  const { probe, run, ...report } = value as DomainReport & { probe?: ProbeResult | null; run?: RunInfo };
  const out: SavedLine = { report, old };
  if (probe !== undefined) out.probe = probe;
  if (run !== undefined) out.run = run;
  return out;
}

/**
 * What a jsonl file without a run (its last line) is known to be: one of
 * today cut short (`complete: false`); one saved before the audit trail,
 * which never had it, unknown.
 */
const cutShort = (old: boolean): false | null => (old ? null : false);

/**
 * How the first line of a saved run tells its format: a line that is a
 * JSON object with `domains` is a one-line document; a line that is other
 * JSON is the first report of a jsonl file; a line that is not JSON but
 * opens an object is the start of a pretty-printed document (what
 * `--format json` writes); anything else is a jsonl file whose line 1 is
 * broken.
 */
function formatOf(firstLine: string): 'document' | 'lines' {
  try {
    const value: unknown = JSON.parse(firstLine);
    return isObject(value) && 'domains' in value ? 'document' : 'lines';
  } catch {
    return firstLine.trimStart().startsWith('{') ? 'document' : 'lines';
  }
}

/**
 * Reads a saved run held in memory: the `--format json` document or
 * `--format jsonl` lines, each upgraded from earlier versions and validated
 * against schema/report.schema.json. Returns the run, or a one-line reason
 * naming the first field that is not as the schema says. For files of any
 * size, see readSavedRun.
 */
export function parseSavedRun(text: string): SavedRun | SavedRunError {
  const body = text.replace(/^\uFEFF/, '');
  const lines = body.split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) return { error: 'the input is empty' };
  if (formatOf(lines[first] as string) === 'document') return documentFromText(body, lines.length - first);
  const reports: DomainReport[] = [];
  let probe: ProbeResult | null = null;
  let run: RunInfo | null = null;
  let old = false;
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const parsed = parseLine(line, i + 1);
    if ('error' in parsed) return parsed;
    if (parsed.run !== undefined) run = parsed.run;
    if (parsed.probe !== undefined) probe = parsed.probe;
    old ||= parsed.old;
    reports.push(parsed.report);
  }
  return { reports, probe, run: run ?? reconstructRun(reports, cutShort(old)) };
}

function documentFromText(text: string, lines: number): SavedRun | SavedRunError {
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    return { error: lines > 1 ? 'line 1 is not JSON, and the whole is not a JSON document (cut short?)' : 'line 1 is not JSON' };
  }
  if (!isObject(whole)) return { error: 'not a saved m365audit run' };
  return parseDocument(whole);
}

/** Options of readSavedRun. */
export interface ReadSavedRunOptions {
  /** Largest --format json document read (default MAX_DOCUMENT_BYTES). */
  maxDocumentBytes?: number;
  /** The input's size in bytes when known (a file), to name it when refused. */
  size?: number | undefined;
}

/**
 * Reads a saved run as a stream, in memory flat in the number of rows for
 * jsonl: each line is upgraded, validated and handed to `onReport` before
 * the next is read (the caller spools the reports: renderers read them
 * again). A `--format json` document is read whole, up to
 * `maxDocumentBytes`, then validated and handed on report by report; a
 * larger one is refused (`tooLarge`) before it is held in memory. Reports
 * are handed on as they come: when an error comes back (line 900 is
 * broken), the caller drops what it received.
 */
export async function readSavedRun(source: AsyncIterable<Uint8Array | string>, onReport: (report: DomainReport) => void | Promise<void>, options: ReadSavedRunOptions = {}): Promise<SavedRunEnd | SavedRunError> {
  const reports = savedRunReports(source, options);
  for (;;) {
    const next = await reports.next();
    if (next.done) return next.value;
    await onReport(next.value);
  }
}

/** How a saved run read by savedRunReports is laid out: jsonl lines, or one `--format json` document. */
export type SavedRunFormat = 'lines' | 'document';

/** The end of a saved run read by savedRunReports: readSavedRun's, and the file's format. */
export interface SavedRunStreamEnd extends SavedRunEnd {
  format: SavedRunFormat;
}

/**
 * readSavedRun as a pull stream: yields the reports one at a time, in file
 * order, and returns how the run ended (its probe and trail, or the reason
 * it is refused). The reader asks for the next report when it is ready for
 * it, so two runs can be walked side by side (`diff`) or several merged
 * (shards) with one report of each in memory. Stopping early (`return()`)
 * stops reading.
 */
export async function* savedRunReports(source: AsyncIterable<Uint8Array | string>, options: ReadSavedRunOptions = {}): AsyncGenerator<DomainReport, SavedRunStreamEnd | SavedRunError, void> {
  const max = options.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;
  const tooLarge = (): SavedRunError => ({ error: `a --format json document over ${sizeText(max)}`, tooLarge: { bytes: options.size ?? null } });
  let mode: SavedRunFormat | null = null;
  let lineNo = 0;
  // The document's text, a line at a time (a line never splits a UTF-8 sequence: 0x0A is never inside one).
  const docLines: string[] = [];
  let docBytes = 0;
  let probe: ProbeResult | null = null;
  let run: RunInfo | null = null;
  let old = false;
  let count = 0;
  // For a file without its run line: the first and last auditedAt, kept as the lines go.
  const rebuilt = createRunReconstruction();
  for await (const line of splitLines(source, max)) {
    lineNo++;
    if (line === LINE_TOO_LONG) return mode === 'lines' ? { error: `line ${lineNo} is longer than ${sizeText(max)}` } : tooLarge();
    let text = line.bytes.toString('utf8');
    if (lineNo === 1) text = text.replace(/^\uFEFF/, '');
    if (mode === null) {
      if (text.trim() === '') continue;
      mode = formatOf(text);
      if (mode === 'document' && options.size !== undefined && options.size > max) return tooLarge();
    }
    if (mode === 'document') {
      docBytes += line.bytes.length + 1;
      if (docBytes > max) return tooLarge();
      docLines.push(text);
      continue;
    }
    if (text.trim() === '') continue;
    const parsed = parseLine(text, lineNo);
    if ('error' in parsed) return parsed;
    if (parsed.run !== undefined) run = parsed.run;
    if (parsed.probe !== undefined) probe = parsed.probe;
    old ||= parsed.old;
    rebuilt.add(parsed.report);
    count++;
    yield parsed.report;
  }
  if (mode === null) return { error: 'the input is empty' };
  if (mode === 'document') {
    const saved = documentFromText(docLines.splice(0).join('\n'), lineNo);
    if ('error' in saved) return saved;
    for (const r of saved.reports) yield r;
    return { probe: saved.probe, run: saved.run, count: saved.reports.length, format: 'document' };
  }
  return { probe, run: run ?? rebuilt.result(cutShort(old)), count, format: 'lines' };
}

/** One line of a saved jsonl run: parsed, upgraded and validated, or the one-line reason it is refused (`line N: …`). */
export function parseSavedLine(text: string, lineNo: number): SavedLine | SavedRunError {
  return parseLine(text, lineNo);
}

/** What splitLines yields for a line longer than its bound, as its last item. */
export const LINE_TOO_LONG = Symbol('too long');

/** One line of splitLines: its bytes without the LF, where it starts in the stream and where the next one does. */
export interface StreamLine {
  bytes: Buffer;
  start: number;
  end: number;
}

/**
 * The lines of a byte stream (split at LF, without it), each at most `max`
 * bytes, with their byte offsets; a longer one ends the lines with
 * LINE_TOO_LONG. A last line without its LF is yielded unless `wholeOnly`
 * (batch --resume: a write that was cut is not a row). Bytes, not text, so a
 * line cut inside a UTF-8 sequence is one piece.
 */
export async function* splitLines(source: AsyncIterable<Uint8Array | string>, max: number, options: { wholeOnly?: boolean } = {}): AsyncGenerator<StreamLine | typeof LINE_TOO_LONG> {
  let parts: Buffer[] = [];
  let size = 0;
  let offset = 0;
  let lineStart = 0;
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      if (size + nl - start > max) {
        yield LINE_TOO_LONG;
        return;
      }
      const piece = buf.subarray(start, nl);
      const end = offset + nl + 1;
      yield { bytes: parts.length === 0 ? piece : Buffer.concat([...parts, piece]), start: lineStart, end };
      parts = [];
      size = 0;
      start = nl + 1;
      lineStart = end;
    }
    if (start < buf.length) {
      size += buf.length - start;
      if (size > max) {
        yield LINE_TOO_LONG;
        return;
      }
      parts.push(buf.subarray(start));
    }
    offset += buf.length;
  }
  if (size > 0 && !options.wholeOnly) yield { bytes: Buffer.concat(parts), start: lineStart, end: offset };
}

/** `256 MiB`, `590 MiB`, `12 KiB`. */
export function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round(bytes / (1024 * 1024))} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
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
  const inside = list.find((e) => e.keyword !== 'type' && e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.keyword !== 'if');
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
    // The schema's one conditional rule (DomainReportFields if/then): an unknown grade has no score.
    if (first.schemaPath.includes('/then/properties/score/')) what += ' when grade is unknown';
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
