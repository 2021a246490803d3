/**
 * m365audit's own DKIM verdicts (RFC 6376; ed25519 per RFC 8463): every
 * DKIM-Signature of a message verified against today's DNS with mailauth's
 * verifier, whose key lookups go through the LookupContext's DnsClient (the
 * loopback sandbox in tests, the real resolvers in production). Streaming:
 * the reader writes each chunk once, the body is hashed as it passes, and
 * memory stays bounded whatever the message's size (see MessageGuard).
 *
 * What mailauth may do here (read in node_modules/mailauth 4.13.3:
 * lib/dkim/verify.js, dkim-verifier.js, message-parser.js, lib/tools.js,
 * lib/arc/index.js): DkimVerifier asks its resolver for the TXT record at
 * `s._domainkey.d` of each DKIM-Signature (tools.getPublicKey), and also for
 * the key of the newest ARC-Message-Signature (getARChain picks it up from
 * the header). Nothing else: no HTTP (tools.fetch serves BIMI/VMC and
 * MTA-STS, which live in modules this file never loads), no other record
 * types, no default resolver once one is given. So the ARC-* fields are
 * hidden from it (ARC is not verified here), only the first
 * MAX_DKIM_SIGNATURES signatures reach it, and its resolver answers nothing
 * but the key names of those signatures (anything else is refused).
 *
 * Three mailauth behaviours are worked around, each said where it is done:
 * it prints to stdout (console.log) when a body is shorter than l=; it
 * drops signatures it cannot read without a result; a header-only input
 * gives no result at all. And it does not check what RFC 6376 6.1.1 asks
 * of a signature before the key lookup (i= within d=, From signed), which
 * is checked here.
 */
import { createPublicKey } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { LookupContext } from '../dns/context.js';
import type { DnsAnswer, TempfailReason } from '../dns/types.js';
import { decodeDkimPublicKey, evaluateDkimKey, MIN_RSA_BITS, parseDkimKey, type DkimKeyStatus } from '../dkim/key.js';
import { isDkimSelector } from '../dkim/selector.js';
import { canonicalName, normalizeDomain } from '../domain/normalize.js';
import { capText } from '../util/caps.js';

/** Most DKIM-Signature fields of one message verified (top first, the newest); the rest are counted, not verified. */
export const MAX_DKIM_SIGNATURES = 10;
/** Longest header section read (1 MiB); Exchange Online refuses messages with far smaller headers, so a longer one is not mail it delivered. */
export const MAX_HEADER_BYTES = 1024 * 1024;
/** Most header fields one signature's h= may name; real signers name 5-40 (mailauth matches each name against every field). */
export const MAX_SIGNED_FIELDS = 100;
/** Longest body line (bytes up to LF) hashed; RFC 5322 2.1.1 allows 998 characters. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** Longest run of white space and line ends in the body (bytes); canonicalization holds such a run back until text follows. */
export const MAX_BLANK_RUN_BYTES = 64 * 1024;
/** Longest run of CR/LF inside the header section: a blank line ends it at 4 (CRLF CRLF), so more means bare CRs. */
const MAX_HEADER_CRLF_RUN = 8;
/**
 * mailauth unfolds a field by re-copying its lines for each continuation
 * line (tools.parseHeaders), so one field of k continuation lines costs
 * about k²/2 copies: 40,000 lines took 4.5 s, measured. The cost of every
 * field is summed (each continuation line adds its position in the field)
 * and bounded here: a 5,000-recipient To folded one address a line costs
 * 12.5 million.
 */
const MAX_FOLDING_COST = 50_000_000;
/** Bytes gathered before each write to mailauth: its relaxed body hash copies a pending line once per write. */
const FEED_BYTES = 64 * 1024;

/**
 * A signature's verdict as RFC 8601 2.7.1 words it: `pass`; `fail` (the
 * signature or the body hash does not verify); `neutral` (it could not be
 * processed); `policy` (an RSA key under 1024 bits, RFC 8301 3.2);
 * `temperror` (the key lookup failed: a DNS failure, never evidence that the
 * signature is bad); `permerror` (RFC 6376's PERMFAIL: no key, a revoked or
 * unusable key, an expired signature, a signature that breaks 6.1.1).
 */
export type DkimResult = 'pass' | 'fail' | 'neutral' | 'policy' | 'temperror' | 'permerror';

/** Whether the body hashes to bh= (RFC 6376 3.7): `not-checked` when the input had no body (headers only) or the signature was not processed. */
export type DkimBodyHashResult = 'match' | 'mismatch' | 'not-checked';

/** The key record today: dkim/key.ts's status, or `missing` (NXDOMAIN or no TXT), or `unknown` (the lookup failed). */
export type DkimKeyState = DkimKeyStatus | 'missing' | 'unknown';

/** The public key a signature names, as DNS gives it today. */
export interface DkimKeyVerdict {
  /** The name asked: `<s>._domainkey.<d>`. */
  name: string;
  status: DkimKeyState;
  /** k= (rsa, ed25519), or null when there is no usable record. */
  type: string | null;
  /** RSA modulus bits, 256 for ed25519, or null. */
  bits: number | null;
  /** The TXT record used (the first one; capped), or null. */
  record: string | null;
  /** How many TXT records the name holds (RFC 6376 3.6.2.2: more than one makes the result undefined). */
  records: number;
  /** t=y: the domain says it is testing DKIM (RFC 6376 3.6.1). */
  testing: boolean;
  /** Why the key is revoked or unusable; null otherwise. */
  problem: string | null;
}

/** A DNS lookup that failed (TEMPFAIL): the name, the reason and the resolver's code (ETIMEOUT, ESERVFAIL …). */
export interface DkimDnsFailure {
  name: string;
  reason: TempfailReason;
  code: string;
}

/** One DKIM-Signature field, verified against today's DNS. */
export interface DkimSignatureVerdict {
  /** Position among the message's DKIM-Signature fields, 0 for the topmost (the newest). */
  index: number;
  /** d= as written (lower-cased): the input of DMARC's DKIM alignment. */
  domain: string;
  /** s= as written (lower-cased). */
  selector: string;
  /** a= as written (rsa-sha256, ed25519-sha256 …). */
  algorithm: string;
  /** c= as written, or `simple/simple` when absent. */
  canonicalization: string;
  /** i= (the agent or user identifier), or null. */
  identity: string | null;
  /** The header fields h= names, lower-cased (at most MAX_SIGNED_FIELDS are kept). */
  signedHeaders: string[];
  /** t= and x= as ISO 8601, or null. */
  signedAt: string | null;
  expiresAt: string | null;
  /** l=: how much of the canonicalized body the signature covers, and how long that body is here; null without l=. Octets beyond the limit are unsigned (RFC 6376 8.2). */
  bodyLength: { limit: number; canonical: number | null } | null;
  bodyHash: DkimBodyHashResult;
  result: DkimResult;
  /** mailauth's reason text (`bad signature`, `body hash did not verify`, `no key` …) or this module's, null for a pass. */
  reason: string | null;
  /** The key today; null when d= or s= is not a name that can be looked up. */
  key: DkimKeyVerdict | null;
  /** The key lookup that failed, when one did: kept apart from a bad signature. */
  dnsFailure: DkimDnsFailure | null;
}

/** Why the signatures of a message could not be verified at all (each message stays readable by the other parts). */
export type DkimVerifyProblemKind = 'header-too-large' | 'header-malformed' | 'line-too-long' | 'blank-run-too-long' | 'verifier-error';

/** A typed reason, with one sentence. */
export interface DkimVerifyProblem {
  kind: DkimVerifyProblemKind;
  message: string;
}

/** The DKIM verdicts of one message. */
export interface DkimVerification {
  /** One verdict per DKIM-Signature verified, in header order (empty: not signed, or `problem`). */
  signatures: DkimSignatureVerdict[];
  /** DKIM-Signature fields in the header; only the first MAX_DKIM_SIGNATURES are verified. */
  signaturesTotal: number;
  /** The input ended before a blank line: headers pasted alone. Header signatures and keys are verified, body hashes are not (`not-checked`). */
  headersOnly: boolean;
  /** Set when nothing could be verified; `signatures` is then empty. */
  problem: DkimVerifyProblem | null;
}

/** A DKIM verification in progress: write every chunk of the message, in order, awaiting each; then end. */
export interface DkimVerificationStream {
  /**
   * Feeds the next bytes of the message (LF or CRLF line ends); the chunk is
   * copied, so its buffer may be reused at once. Writes are taken in call
   * order; each resolves once its bytes are hashed, and awaiting it before
   * the next write keeps memory bounded (backpressure). Never rejects.
   */
  write(chunk: Uint8Array): Promise<void>;
  /** The message is complete: looks up the keys, verifies, and resolves with the verdicts. Never rejects. */
  end(): Promise<DkimVerification>;
}

/** Options of startDkimVerification. */
export interface DkimVerifyOptions {
  /** Most signatures verified (default MAX_DKIM_SIGNATURES). */
  maxSignatures?: number | undefined;
}

/**
 * Starts verifying the DKIM signatures of one message against today's DNS
 * (ctx.dns; the verification time is ctx.clock, for x=). The reader writes
 * the message through `write` and then calls `end`. At most
 * MAX_DKIM_SIGNATURES signatures are verified, each with one TXT lookup.
 * Never throws: a message beyond the bounds of MessageGuard, or one that
 * makes mailauth fail, gives a typed `problem`.
 */
export function startDkimVerification(ctx: LookupContext, options: DkimVerifyOptions = {}): DkimVerificationStream {
  const session = createSession(ctx, Math.max(0, options.maxSignatures ?? MAX_DKIM_SIGNATURES));
  const guard = new MessageGuard();
  const Verifier = guardedVerifierClass();
  const verifier = new Verifier({ resolver: session.resolver, minBitLength: MIN_RSA_BITS, curTime: session.now }, session);
  // A failed write is also emitted as 'error'; it is read through the callbacks and `failure`.
  verifier.on('error', () => undefined);
  let failure: string | null = null;
  // Gathered into FEED_BYTES blocks; a block is never reused, as mailauth keeps pieces of what it is given (lines, runs of empty lines).
  let pending = Buffer.allocUnsafe(FEED_BYTES);
  let pendingBytes = 0;
  let ended: Promise<DkimVerification> | null = null;

  const feed = async (bytes: Uint8Array): Promise<void> => {
    if (failure !== null) return;
    try {
      await new Promise<void>((resolve, reject) => {
        verifier.write(bytes, (err) => (err ? reject(err) : resolve()));
      });
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
  };
  const flush = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    const bytes = pending.subarray(0, pendingBytes);
    pending = Buffer.allocUnsafe(FEED_BYTES);
    pendingBytes = 0;
    await feed(bytes);
  };

  const finish = async (): Promise<DkimVerification> => {
    const stopped = (problem: DkimVerifyProblem): DkimVerification => ({ signatures: [], signaturesTotal: session.total, headersOnly: false, problem });
    if (guard.problem) return stopped(guard.problem);
    await flush();
    if (guard.bytes > 0 && !verifier.headers && failure === null) {
      // No blank line came: headers pasted alone. mailauth gives no result
      // for those (MessageParser.finish verifies before it parses a header
      // it never saw end), so a blank line ends them here, and the body
      // hashes are made to agree (see messageHeaders): the header signatures
      // and the keys are still verified.
      session.headersOnly = true;
      await feed(Buffer.from(guard.endsWithCrlf() ? '\r\n' : '\r\n\r\n'));
    }
    if (failure === null) {
      try {
        verifier.end();
        await finished(verifier);
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
      }
    }
    if (failure !== null) return stopped({ kind: 'verifier-error', message: `the DKIM verifier failed on this message: ${capText(failure, 200)}` });
    return { signatures: await session.verdicts(verifier), signaturesTotal: session.total, headersOnly: session.headersOnly, problem: null };
  };

  const writeNow = async (chunk: Uint8Array): Promise<void> => {
    if (guard.problem || failure !== null) return;
    const bytes = guard.pass(chunk);
    if (bytes === null) return;
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(FEED_BYTES - pendingBytes, bytes.length - at);
      pending.set(bytes.subarray(at, at + n), pendingBytes);
      pendingBytes += n;
      at += n;
      if (pendingBytes === FEED_BYTES) await flush();
    }
  };
  // Writes run one after the other, in call order, also when a reader does not await them; each
  // chunk is copied first, since the reader may reuse its buffer before its write has run.
  let queue: Promise<void> = Promise.resolve();

  return {
    write(chunk: Uint8Array): Promise<void> {
      if (ended || chunk.length === 0) return queue;
      const own = Buffer.from(chunk);
      queue = queue.then(() => writeNow(own));
      return queue;
    },
    end(): Promise<DkimVerification> {
      ended ??= queue.then(finish);
      return ended;
    },
  };
}

/** Verifies a whole message (bytes, text, or chunks as a file stream gives them): startDkimVerification, written through. Never throws. */
export async function verifyDkim(ctx: LookupContext, message: Uint8Array | string | AsyncIterable<Uint8Array>, options: DkimVerifyOptions = {}): Promise<DkimVerification> {
  const v = startDkimVerification(ctx, options);
  if (typeof message === 'string') await v.write(Buffer.from(message, 'utf8'));
  else if (message instanceof Uint8Array) await v.write(message);
  else for await (const chunk of message) await v.write(chunk);
  return v.end();
}

// ---------------------------------------------------------------------------
// The bounds: what reaches mailauth.

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;

/**
 * What stands between the reader and mailauth: line ends normalised to
 * CRLF (as mailauth would do, one LF at a time, which costs a write per
 * line), and the limits that keep mailauth linear and its memory bounded,
 * each measured or read in its source:
 *
 * - the header section is at most MAX_HEADER_BYTES; in it a run of CR/LF
 *   longer than MAX_HEADER_CRLF_RUN (bare CRs) is refused, because
 *   tools.parseHeaders trims with /[\r\n]+$/, which is quadratic in such a
 *   run (160,000 CRs: 14 s), and the folding cost is bounded (MAX_FOLDING_COST);
 * - in the body, a line is at most MAX_LINE_BYTES (the relaxed body hash
 *   keeps an unfinished line and copies it again with every write), and a
 *   run of white space and line ends at most MAX_BLANK_RUN_BYTES (both body
 *   hashes hold such a run back, as RFC 6376 3.4.3 and 3.4.4 ignore empty
 *   lines at the end, and the relaxed one holds each line as its own buffer).
 *
 * The first limit crossed stops verification (`problem`); nothing more is
 * kept from then on.
 */
class MessageGuard {
  problem: DkimVerifyProblem | null = null;
  /** Bytes passed on so far. */
  bytes = 0;
  private prevIn = -1;
  /** The last byte passed on, and the one before it. */
  private p1 = -1;
  private p2 = -1;
  private inBody = false;
  private headerBytes = 0;
  private run = 0;
  private line = 0;
  private lineStart = true;
  private continuation = 0;
  private foldingCost = 0;

  /** The chunk with bare LFs made CRLF, or null once a limit is crossed. */
  pass(chunk: Uint8Array): Uint8Array | null {
    const out = this.normalise(chunk);
    this.scan(out);
    if (this.problem) return null;
    this.bytes += out.length;
    return out;
  }

  /** Whether what was passed on ends with CRLF (one more CRLF then makes the blank line). */
  endsWithCrlf(): boolean {
    return this.p2 === CR && this.p1 === LF;
  }

  private normalise(chunk: Uint8Array): Uint8Array {
    let bare = 0;
    let prev = this.prevIn;
    for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) {
      if ((i === 0 ? prev : chunk[i - 1]) !== CR) bare++;
    }
    prev = this.prevIn;
    this.prevIn = chunk[chunk.length - 1] as number;
    if (bare === 0) return chunk;
    const out = Buffer.allocUnsafe(chunk.length + bare);
    let o = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number;
      if (c === LF && (i === 0 ? prev : chunk[i - 1]) !== CR) out[o++] = CR;
      out[o++] = c;
    }
    return out;
  }

  private stop(kind: DkimVerifyProblemKind, message: string): void {
    this.problem ??= { kind, message };
  }

  private scan(buf: Uint8Array): void {
    for (let i = 0; i < buf.length && !this.problem; i++) {
      const c = buf[i] as number;
      if (this.inBody) {
        this.line = c === LF ? 0 : this.line + 1;
        this.run = c === CR || c === LF || c === SP || c === HT ? this.run + 1 : 0;
        if (this.line > MAX_LINE_BYTES) this.stop('line-too-long', `a body line is longer than ${MAX_LINE_BYTES} bytes (RFC 5322 2.1.1 allows 998 characters), so the body is not hashed`);
        else if (this.run > MAX_BLANK_RUN_BYTES) this.stop('blank-run-too-long', `the body holds more than ${MAX_BLANK_RUN_BYTES} bytes of blank lines in a row, so it is not hashed`);
      } else {
        if (++this.headerBytes > MAX_HEADER_BYTES) {
          this.stop('header-too-large', `the header section is longer than ${MAX_HEADER_BYTES} bytes, so no signature is verified`);
          break;
        }
        this.run = c === CR || c === LF ? this.run + 1 : 0;
        if (this.run > MAX_HEADER_CRLF_RUN) this.stop('header-malformed', 'the header section holds bare CR characters (RFC 5322 2.2 allows CR only in CRLF), so no signature is verified');
        if (this.lineStart && c !== CR && c !== LF) {
          if (c === SP || c === HT) {
            this.foldingCost += ++this.continuation;
            if (this.foldingCost > MAX_FOLDING_COST) this.stop('header-malformed', 'the header fields are folded over too many lines, so no signature is verified');
          } else {
            this.continuation = 0;
          }
          this.lineStart = false;
        }
        if (c === LF) {
          this.lineStart = true;
          // mailauth's end of the header section (MessageParser.processChunk): LF, CR, LF.
          if (this.p1 === CR && this.p2 === LF) {
            this.inBody = true;
            this.run = 0;
          }
        }
      }
      this.p2 = this.p1;
      this.p1 = c;
    }
  }
}

// ---------------------------------------------------------------------------
// mailauth's verifier, as much of it as is used (it ships no types for it).

type MailauthResolver = (name: string, type: string) => Promise<string[][]>;
interface HeaderRow {
  key?: string | null;
  line: Buffer;
}
interface HeaderSection {
  parsed: HeaderRow[];
  original: Buffer;
}
interface Tag {
  value?: unknown;
}
interface SignatureField {
  type: string;
  parsed?: Record<string, Tag | undefined>;
  signingDomain: string;
  selector: string;
  algorithm: string;
  signAlgo: string;
  hashAlgo: string;
  canonicalization: string;
  maxBodyLength: number | string;
  timestamp: Date | null;
  expiration: Date | null;
  skip?: boolean;
  bodyHashKey?: string;
}
interface BodyHasher {
  update(chunk: Buffer): void;
  setContentType(contentType: unknown): void;
  digest(encoding: string): string;
  getMimeStructureStart(): number;
  canonicalizedLength?: number;
  bodyHashedBytes?: number;
}
interface VerifierResult {
  bodyHash?: string;
  bodyHashExpecting?: string;
  status: { result: string; comment?: string };
}
interface VerifierOptions {
  resolver: MailauthResolver;
  minBitLength: number;
  curTime: Date;
}
interface DkimVerifierInstance extends Writable {
  headers: HeaderSection | false;
  signatureHeaders: SignatureField[];
  bodyHashes: Map<string, BodyHasher>;
  results: VerifierResult[];
  messageHeaders(headers: HeaderSection): Promise<void>;
}
type DkimVerifierClass = new (options: VerifierOptions) => DkimVerifierInstance;
type GuardedVerifierClass = new (options: VerifierOptions, session: Session) => DkimVerifierInstance;

let guardedClass: GuardedVerifierClass | null = null;

/** mailauth's DkimVerifier (loaded on first use: the library's import stays cheap), with the header step this module needs. */
function guardedVerifierClass(): GuardedVerifierClass {
  if (guardedClass) return guardedClass;
  // mailauth is CommonJS and types only its dkimVerify(), which takes a whole message and verifies ARC too.
  const load = createRequire(import.meta.url);
  const Base = (load('mailauth/lib/dkim/dkim-verifier.js') as { DkimVerifier: DkimVerifierClass }).DkimVerifier;
  class GuardedVerifier extends Base {
    private readonly session: Session;
    constructor(options: VerifierOptions, session: Session) {
      super(options);
      this.session = session;
    }
    override async messageHeaders(headers: HeaderSection): Promise<void> {
      const s = this.session;
      let kept = 0;
      // mailauth sees no ARC field (no ARC key lookup) and at most s.max signatures (it makes a body hasher for each).
      const view = headers.parsed.filter((row) => {
        const key = row.key ?? '';
        if (key.startsWith('arc-')) return false;
        if (key !== 'dkim-signature') return true;
        s.total++;
        return kept++ < s.max;
      });
      await super.messageHeaders({ ...headers, parsed: view });
      // h= is matched against every field, the ones hidden above included.
      this.headers = headers;
      s.admit(this.signatureHeaders.filter((f) => f.type === 'DKIM'));
      if (s.headersOnly) {
        // No body: each signature gets a hasher that agrees with its bh=, so only the header signature is checked.
        for (const [i, check] of s.checks.entries()) {
          if (check.field.skip) continue;
          const key = `headers-only:${i}`;
          check.field.bodyHashKey = key;
          this.bodyHashes.set(key, agreeingHasher(String(check.field.parsed?.bh?.value ?? '')));
        }
      }
    }
  }
  guardedClass = GuardedVerifier as unknown as GuardedVerifierClass;
  return guardedClass;
}

/** A body hasher that hashes nothing and reports `bh` (header-only input). */
function agreeingHasher(bh: string): BodyHasher {
  return { update: () => undefined, setContentType: () => undefined, digest: () => bh, getMimeStructureStart: () => -1 };
}

// ---------------------------------------------------------------------------
// One verification's state: the signatures admitted, the key lookups, the verdicts.

interface SignatureCheck {
  index: number;
  field: SignatureField;
  /** Why RFC 6376 6.1.1 ignores the signature (PERMFAIL), checked before any lookup; null when it may be verified. */
  problem: string | null;
  /** The key's name, when d= and s= make one. */
  keyName: string | null;
  /** l= as written; mailauth's own copy is made a string (see admit). */
  bodyLimit: number | null;
}

interface Session {
  max: number;
  total: number;
  headersOnly: boolean;
  now: Date;
  checks: SignatureCheck[];
  resolver: MailauthResolver;
  admit(fields: SignatureField[]): void;
  verdicts(verifier: DkimVerifierInstance): Promise<DkimSignatureVerdict[]>;
}

function dnsError(code: string, name: string): Error {
  return Object.assign(new Error(`${code} ${name}`), { code });
}

function createSession(ctx: LookupContext, max: number): Session {
  const lookups = new Map<string, Promise<DnsAnswer<string>>>();
  /** What mailauth may ask (the name as it builds it, canonical) → the name looked up. */
  const allowed = new Map<string, string>();
  const lookup = (name: string): Promise<DnsAnswer<string>> => {
    let answer = lookups.get(name);
    if (!answer) {
      answer = ctx.dns.resolve(name, 'TXT');
      lookups.set(name, answer);
    }
    return answer;
  };
  const session: Session = {
    max,
    total: 0,
    headersOnly: false,
    now: ctx.clock?.() ?? new Date(),
    checks: [],
    async resolver(name: string, type: string): Promise<string[][]> {
      const q = type === 'TXT' ? allowed.get(canonicalName(String(name))) : undefined;
      if (q === undefined) throw dnsError('EREFUSED', String(name));
      const answer = await lookup(q);
      switch (answer.kind) {
        case 'records':
          return answer.records.map((r) => [readableKeyRecord(r)]);
        case 'nxdomain':
          throw dnsError('ENOTFOUND', q);
        case 'nodata':
          throw dnsError('ENODATA', q);
        case 'tempfail':
          throw dnsError(answer.code, q);
      }
    },
    admit(fields: SignatureField[]): void {
      for (const [index, field] of fields.entries()) {
        const keyName = keyNameOf(field);
        const problem = field.skip ? unreadable(field) : precheck(field, keyName);
        if (problem !== null) field.skip = true;
        else if (keyName !== null) allowed.set(canonicalName(`${field.selector}._domainkey.${field.signingDomain}`), keyName);
        let bodyLimit: number | null = null;
        if (typeof field.maxBodyLength === 'number') {
          // The hasher already has l=; as a string, mailauth's own l= check, which only console.logs, never runs.
          bodyLimit = field.maxBodyLength;
          field.maxBodyLength = String(field.maxBodyLength);
        }
        session.checks.push({ index, field, problem, keyName, bodyLimit });
        // Asked now, in parallel, while the body is hashed: mailauth awaits one key after the other at the end.
        if (keyName !== null) void lookup(keyName);
      }
    },
    async verdicts(verifier: DkimVerifierInstance): Promise<DkimSignatureVerdict[]> {
      let next = 0;
      // mailauth gives one result per signature it did not skip, in header order.
      const results = session.checks.map((check) => (check.field.skip ? undefined : verifier.results[next++]));
      const answers = await Promise.all(session.checks.map((check) => (check.keyName === null ? null : lookup(check.keyName))));
      return session.checks.map((check, i) => {
        const hasher = check.field.bodyHashKey ? verifier.bodyHashes.get(check.field.bodyHashKey) : undefined;
        return verdictOf(check, results[i], answers[i] ?? null, hasher, session);
      });
    },
  };
  return session;
}

/**
 * A key record as mailauth can read it. RFC 6376 names the bare PKCS#1
 * RSAPublicKey form for p= (see dkim/key.ts), which mailauth wraps as a
 * SubjectPublicKeyInfo PEM that node:crypto refuses ("unknown key type");
 * such a key is handed over in the SubjectPublicKeyInfo form, the same key.
 * Every other record goes as it is.
 */
function readableKeyRecord(record: string): string {
  const rec = parseDkimKey(record);
  if (rec.keyType !== 'rsa' || !rec.publicKey || rec.errors.length > 0) return record;
  const decoded = decodeDkimPublicKey('rsa', rec.publicKey);
  if ('problem' in decoded || decoded.format !== 'pkcs1') return record;
  const spki = createPublicKey({ key: Buffer.from(rec.publicKey, 'base64'), format: 'der', type: 'pkcs1' }).export({ format: 'der', type: 'spki' }).toString('base64');
  return Object.entries(rec.tags).map(([k, v]) => `${k}=${k.toLowerCase() === 'p' ? spki : v}`).join('; ');
}

/** `s._domainkey.d` with d= as an ASCII domain and s= a selector, or null when either is not one. */
function keyNameOf(field: SignatureField): string | null {
  const d = field.signingDomain.toLowerCase();
  const s = field.selector.toLowerCase();
  if (!isDkimSelector(s) || /[@/:?#[\]\s]/.test(d)) return null;
  const n = normalizeDomain(d);
  return n.ok ? `${s}._domainkey.${n.domain}` : null;
}

/** Why mailauth skipped a signature (it gives no result for those). */
function unreadable(field: SignatureField): string {
  if (!field.signingDomain) return 'd= is missing (RFC 6376 3.5)';
  if (!field.selector) return 's= is missing (RFC 6376 3.5)';
  if (!['rsa', 'ed25519'].includes(field.signAlgo) || !['sha256', 'sha1'].includes(field.hashAlgo)) return `a=${capText(field.algorithm, 60)} is not an algorithm verifiers know (RFC 6376 3.3, RFC 8463)`;
  return `c=${capText(field.canonicalization, 60)} is not a canonicalization verifiers know (RFC 6376 3.4)`;
}

/** RFC 6376 6.1.1 (and RFC 8301 3.1): what makes a verifier ignore a signature before it looks up the key; null when none. */
function precheck(field: SignatureField, keyName: string | null): string | null {
  const tag = (name: string): string | null => {
    const v = field.parsed?.[name]?.value;
    return v === undefined || v === null || v === '' ? null : String(v);
  };
  if (keyName === null) return `d=${capText(field.signingDomain, 80)} with s=${capText(field.selector, 80)} does not make a DNS name (RFC 6376 3.5)`;
  if (tag('b') === null || tag('bh') === null) return 'b= or bh= is missing (RFC 6376 3.5)';
  if (field.hashAlgo === 'sha1') return 'rsa-sha1 must not be used for verifying (RFC 8301 3.1)';
  const h = (tag('h') ?? '').toLowerCase().split(':').map((x) => x.trim()).filter((x) => x !== '');
  if (h.length > MAX_SIGNED_FIELDS) return `h= names ${h.length} header fields, more than the ${MAX_SIGNED_FIELDS} verified here`;
  if (!h.includes('from')) return 'h= does not include From (RFC 6376 6.1.1)';
  const i = tag('i');
  if (i !== null) {
    const idDomain = canonicalName(i.slice(i.lastIndexOf('@') + 1));
    const d = canonicalName(field.signingDomain);
    if (idDomain !== d && !idDomain.endsWith(`.${d}`)) return `i=${capText(i, 80)} is not in d=${capText(d, 80)} or below it (RFC 6376 6.1.1)`;
  }
  return null;
}

function iso(d: Date | null): string | null {
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : null;
}

function keyVerdict(name: string, answer: DnsAnswer<string>): { key: DkimKeyVerdict; dnsFailure: DkimDnsFailure | null } {
  const none = { type: null, bits: null, record: null, records: 0, testing: false, problem: null };
  switch (answer.kind) {
    case 'tempfail':
      return { key: { name, status: 'unknown', ...none }, dnsFailure: { name, reason: answer.reason, code: answer.code } };
    case 'nxdomain':
    case 'nodata':
      return { key: { name, status: 'missing', ...none }, dnsFailure: null };
    case 'records': {
      const first = answer.records[0] ?? '';
      const facts = evaluateDkimKey(first);
      return {
        key: { name, status: facts.status, type: facts.type, bits: facts.bits, record: capText(first), records: answer.records.length, testing: facts.testing, problem: facts.problem },
        dnsFailure: null,
      };
    }
  }
}

function verdictOf(check: SignatureCheck, r: VerifierResult | undefined, answer: DnsAnswer<string> | null, hasher: BodyHasher | undefined, session: Session): DkimSignatureVerdict {
  const f = check.field;
  const tag = (name: string): string | null => {
    const v = f.parsed?.[name]?.value;
    return v === undefined || v === null || v === '' ? null : String(v);
  };
  const identity = tag('i');
  const { key, dnsFailure } = answer && check.keyName ? keyVerdict(check.keyName, answer) : { key: null, dnsFailure: null };
  const bodyHash: DkimBodyHashResult = !r || session.headersOnly ? 'not-checked' : r.bodyHash === r.bodyHashExpecting ? 'match' : 'mismatch';
  const base = {
    index: check.index,
    domain: capText(f.signingDomain.toLowerCase(), 256),
    selector: capText(f.selector.toLowerCase(), 256),
    algorithm: capText(f.algorithm, 64),
    canonicalization: capText(f.canonicalization || 'simple/simple', 64),
    identity: identity === null ? null : capText(identity, 256),
    signedHeaders: (tag('h') ?? '').toLowerCase().split(':').map((x) => x.trim()).filter((x) => x !== '').slice(0, MAX_SIGNED_FIELDS).map((x) => capText(x, 80)),
    signedAt: iso(f.timestamp),
    expiresAt: iso(f.expiration),
    bodyLength: check.bodyLimit === null ? null : { limit: check.bodyLimit, canonical: session.headersOnly ? null : (hasher?.canonicalizedLength ?? null) },
    bodyHash,
    key,
    dnsFailure,
  };
  const { result, reason } = resultOf(check, r, bodyHash, key, session.now);
  return { ...base, result, reason: reason === null ? null : capText(reason, 300) };
}

/**
 * mailauth's status in RFC 8601 words (see DkimResult), decided on facts
 * rather than its reason text: the body hashes compared, the key record as
 * dkim/key.ts reads it, x= against the clock. mailauth calls a body-hash
 * mismatch, a missing or unusable key and an expired signature `neutral`;
 * RFC 6376 calls them PERMFAIL (3.7 and 6.1.3: body hash did not verify;
 * 6.1.2: no key for signature, key revoked, inappropriate key; 6.1.1:
 * signature expired), so they are `fail` (the body) and `permerror`. The key
 * checks mailauth does not make (h= and s= of the key record, RFC 6376
 * 3.6.1 and 6.1.2) turn its pass into `permerror` too.
 */
function resultOf(check: SignatureCheck, r: VerifierResult | undefined, bodyHash: DkimBodyHashResult, key: DkimKeyVerdict | null, now: Date): { result: DkimResult; reason: string | null } {
  if (check.problem !== null) return { result: 'permerror', reason: check.problem };
  if (!r) return { result: 'neutral', reason: 'not verified' };
  const comment = r.status.comment ?? null;
  const keyBroken = key !== null && (key.status === 'missing' || key.status === 'revoked' || key.status === 'invalid');
  switch (r.status.result) {
    case 'pass':
      if (keyBroken) return { result: 'permerror', reason: key?.problem ?? 'the key is not usable' };
      return { result: 'pass', reason: null };
    case 'fail':
      return { result: 'fail', reason: comment ?? 'bad signature' };
    case 'temperror':
      return { result: 'temperror', reason: comment };
    case 'policy':
      return { result: 'policy', reason: `the RSA key has ${key?.bits ?? 'fewer than 1024'} bits; verifiers accept ${MIN_RSA_BITS} or more (RFC 8301 3.2)` };
    case 'neutral': {
      if (bodyHash === 'mismatch') return { result: 'fail', reason: comment ?? 'body hash did not verify' };
      if (keyBroken) return { result: 'permerror', reason: comment ?? key?.problem ?? 'no key' };
      const x = check.field.expiration;
      const t = check.field.timestamp;
      if (x && (x < now || (t && x < t))) return { result: 'permerror', reason: comment ?? 'expired' };
      return { result: 'neutral', reason: comment };
    }
    default:
      return { result: 'neutral', reason: comment ?? r.status.result };
  }
}
