import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyDnsError, isServerReply } from './errors.js';
import { aliasAnswer, needsRawQuery, rawQuery } from './raw.js';
import { createQueryWindow, type QueryWindow, type QuerySlot } from './window.js';
import type { DnsAnswer, DnsClient, DnsHealth, DnsStats, MxRecord, RecordTypes, RRType } from './types.js';
import { formatHostPort, parseHostPort } from '../domain/host-port.js';
import { canonicalName } from '../domain/normalize.js';

/** Options of createDnsClient: the resolvers, and the deadlines, retries, rate and cache that m365audit itself enforces. */
export interface DnsClientOptions {
  /** `ADDR`, `ADDR:PORT` or `[V6]:PORT`; default: the system resolvers. */
  servers?: readonly string[] | undefined;
  /** Deadline of one attempt, enforced here (c-ares adapts its own timers). */
  timeoutMs?: number | undefined;
  /** Further attempts after a failed one; each goes to the next server that is not suspect. */
  retries?: number | undefined;
  /** Cap on queries sent per second (0 or undefined: no cap). */
  qps?: number | undefined;
  /** About how many answers the cache keeps (those not used for longest go first). */
  cacheSize?: number | undefined;
  /** The clock of the health tracking (tests); default Date.now. */
  now?: (() => number) | undefined;
  /**
   * Questions whose answers are known to be large, asked with EDNS0 through
   * the raw client (see createDnsClient); default: TXT under a `_domainkey`
   * label (DKIM keys). `() => false` keeps every query on node:dns. Such a
   * TXT reply also answers the CNAME question of the same name while it is
   * being asked (raw.ts aliasAnswer): a CNAME asked then waits for it first.
   */
  largeAnswer?: ((name: string, type: RRType) => boolean) | undefined;
  /**
   * Ceiling of each server's adaptive window of queries in flight
   * (window.ts); `batch` gives `--concurrency` x QUERIES_PER_DOMAIN.
   * Default DEFAULT_MAX_IN_FLIGHT.
   */
  maxInFlight?: number | undefined;
}

/** The ceiling of a server's window of queries in flight when none is given. */
export const DEFAULT_MAX_IN_FLIGHT = 2048;

/**
 * DKIM keys (RFC 6376 §3.6.2.1: `<selector>._domainkey.<domain>` TXT): a
 * 2048-bit RSA key is about 400 characters of base64, and with Microsoft's
 * CNAME in the answer the reply passes 512 bytes.
 */
export function isDkimKeyQuestion(name: string, type: RRType): boolean {
  return type === 'TXT' && name.includes('._domainkey.');
}

/** Deadline of one DNS attempt, in ms (`--timeout`). */
export const DEFAULT_TIMEOUT_MS = 3000;
/** Further attempts after a failed one (`--retries`). */
export const DEFAULT_RETRIES = 2;
/** Holds every shared tree and the names of the ~256 domains in flight; bounded so memory stays flat in N. */
export const DEFAULT_CACHE_SIZE = 10_000;
/** Queries one c-ares channel sends at most (one UDP source port: RFC 5452 §9.2 wants it to change). */
const CHANNEL_QUERIES = 32;
/** Least time a DKIM selector's CNAME waits for its key's TXT reply, which carries the alias (afterAlias). */
const ALIAS_WAIT_MS = 200;
/** Longest wait between two probes of a suspect server while another one answers. */
const MAX_PROBE_INTERVAL_MS = 30_000;

type Final = DnsAnswer<unknown>;
/** A lookup's own query, a probe of a suspect server, or a health check of one that just left a query unanswered. */
type AttemptMode = 'lookup' | 'probe' | 'health';
const NO_SERVER: Final = { kind: 'tempfail', reason: 'no-server', code: 'ENOSERVER' };
/** Shared answers that carry nothing of their own (answers are read-only). */
const TIMEOUT: Final = Object.freeze({ kind: 'tempfail', reason: 'timeout', code: 'ETIMEOUT' });
const NODATA: Final = Object.freeze({ kind: 'nodata' });
const NOT_SENT: Final = Object.freeze({ kind: 'tempfail', reason: 'no-server', code: 'ENOSERVER' });

/** One server: the c-ares queries waiting for this turn's flush, its window and its health. */
interface Pool {
  /** What Resolver#setServers and rawQuery take; null: c-ares's default. */
  server: string | null;
  /** As given, for messages. */
  label: string;
  /** c-ares queries asked in this turn of the event loop, sent together (see createDnsClient). */
  queued: QueuedQuery[];
  /** How many of this client's lookups it gets at once (window.ts). */
  window: QueryWindow;
  lastReplyAt: number | null;
  suspect: boolean;
  probing: boolean;
  probeStartedAt: number;
  /** Earliest time of the next probe. */
  probeAt: number;
  /** One probe allowed at once, as a lookup's retry, right after it turned suspect. */
  freeProbe: boolean;
  backoffMs: number;
  /** The last question asked of it. */
  lastQuestion: { name: string; type: RRType } | null;
  /** The last question it replied to: what a health check asks (one name may be silent while the server is fine). */
  lastAnswered: { name: string; type: RRType } | null;
  /** A health check is under way: one query it answered before, to tell a silent name from a silent server. */
  checking: boolean;
}

/** A query waiting to go out through c-ares, and where its rows or error go. */
interface QueuedQuery {
  name: string;
  type: RRType;
  ok: (rows: unknown[]) => void;
  fail: (err: unknown) => void;
}

/** `ADDR[:PORT]` / `[V6]:PORT` / bare IPv6 → what Resolver#setServers accepts, or null (a name is not an address). */
export function parseServerAddress(input: string): string | null {
  const hp = parseHostPort(input);
  if (!hp || isIP(hp.host) === 0) return null;
  if (hp.port === null) return hp.host;
  return formatHostPort(hp.host, hp.port);
}

/**
 * The servers a client asks: each `--dns-server` as Resolver#setServers and
 * rawQuery take it, with the label as given; without any, the system's.
 * Throws a TypeError for one that is not an address (parseServerAddress).
 */
export function resolveServers(given: readonly string[] | undefined): { server: string; label: string }[] {
  if (!given || given.length === 0) return new Resolver().getServers().map((s) => ({ server: s, label: s }));
  return given.map((s) => {
    const parsed = parseServerAddress(s);
    if (parsed === null) throw new TypeError(`not a DNS server address: ${JSON.stringify(s)} (use ADDR, ADDR:PORT or [IPv6]:PORT)`);
    return { server: parsed, label: s.trim() };
  });
}

/**
 * A name that cannot be asked: empty, over 253 bytes, or with an empty
 * label or one over 63 bytes (RFC 1035 §2.3.4). Lengths in bytes as UTF-8
 * puts them on the wire (a raw name may carry non-ASCII characters; a lone
 * surrogate is written as U+FFFD, 3 bytes, as Buffer.byteLength counts it).
 * One pass, no allocation: every lookup of a batch asks it.
 */
export function unqueryable(name: string): boolean {
  if (name === '') return true;
  let label = 0;
  let total = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 46) {
      if (label === 0) return true;
      label = 0;
      total++;
      continue;
    }
    let bytes: number;
    if (c < 0x80) bytes = 1;
    else if (c < 0x800) bytes = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < name.length && (name.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes = 4;
      i++;
    } else bytes = 3;
    label += bytes;
    total += bytes;
    if (label > 63) return true;
  }
  return label === 0 || total > 253;
}

/**
 * The production DnsClient over node:dns/promises. One Resolver per server
 * with tries: 1, so that this client owns timeouts and retries; answers are
 * cached per run by (name, type) and queries in flight are shared, so a batch
 * asks for spf.protection.outlook.com once. TEMPFAIL is never cached.
 * Each server's health is tracked (see health(), waitForServer()): a silent
 * server is skipped for the next one, and when none answers lookups fail fast.
 *
 * node:dns sends no EDNS0 (c-ares in Node 20), so an answer over 512 bytes
 * comes back truncated and is asked again over TCP: a second query and a TCP
 * connection on both sides. The questions `largeAnswer` names (DKIM keys by
 * default) go out through rawQuery with EDNS0 instead, with the same servers,
 * deadlines, retries, health and cache (BENCHMARKS.md has the cost of both).
 *
 * c-ares accepts a reply with QR=0 (a query, not a response: RFC 1035 4.1.1)
 * when its ID and question match; node:dns gives no way to see or refuse the
 * bit. rawQuery, which this client controls, drops such datagrams.
 *
 * Throws a TypeError at once for a server that is not an address (see
 * parseServerAddress); after that, `resolve()` resolves with a DnsAnswer for
 * every DNS outcome and never rejects for one.
 */
export function createDnsClient(options: DnsClientOptions = {}): DnsClient {
  const timeoutMs = Math.max(1, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const retries = Math.max(0, options.retries ?? DEFAULT_RETRIES);
  const cacheSize = Math.max(1, options.cacheSize ?? DEFAULT_CACHE_SIZE);
  const maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
  // c-ares (1.34 in Node 20) keeps per-server latency metrics and, after 3
  // answers, times queries out at 5x their average with a 250 ms floor, far
  // below --timeout. A loaded event loop then turns slow answers into early
  // ETIMEOUTs and duplicate queries (7% extra at 2,000 domains, measured).
  // c-ares forms the average from 3 recorded answers (ares_metrics.c,
  // MIN_COUNT_FOR_AVERAGE); below that a query's timeout is the configured
  // one, fixed when it is sent. A channel is therefore used only for the
  // queries sent in one go, right after it is made, and then dropped: c-ares
  // has recorded no answer on it when any of its queries is sent. (Counting
  // the answers our callbacks see is not enough: Node queues c-ares
  // callbacks as immediates, and other I/O of the same loop turn can send
  // before them.) The queries asked in one turn of the event loop wait in
  // the server's queue and go out together from a setImmediate, up to
  // CHANNEL_QUERIES a channel: a new channel costs about 30 µs of
  // JavaScript, a socket and c-ares reading the system's resolver files
  // (some 20 system calls), and one a burst of a single domain's phase
  // (4-5 queries) was a tenth of the client's CPU.
  const resolverOptions = { timeout: timeoutMs, tries: 1, maxTimeout: timeoutMs };

  const servers = resolveServers(options.servers);
  const now = options.now ?? Date.now;
  const pools: Pool[] = (servers.length > 0 ? servers : [{ server: null, label: 'system default' }]).map(({ server, label }) => ({
    server, label, queued: [], window: createQueryWindow({ max: maxInFlight }),
    lastReplyAt: null, suspect: false, probing: false, probeStartedAt: 0, probeAt: 0, freeProbe: false, backoffMs: timeoutMs, lastQuestion: null, lastAnswered: null, checking: false,
  }));
  const systemServers = (): string[] => new Resolver().getServers();
  let flushing = false;
  const flush = (): void => {
    flushing = false;
    for (const pool of pools) {
      const queued = pool.queued;
      if (queued.length === 0) continue;
      pool.queued = [];
      let resolver: Resolver | null = null;
      let broken: unknown = null;
      for (let i = 0; i < queued.length; i++) {
        const q = queued[i] as QueuedQuery;
        try {
          if (i % CHANNEL_QUERIES === 0) {
            resolver = null;
            const made = new Resolver(resolverOptions);
            if (pool.server !== null) made.setServers([pool.server]);
            resolver = made;
          }
          // A channel that could not be made fails the queries meant for it.
          if (resolver === null) throw broken;
          ask(resolver, q.name, q.type).then(q.ok, q.fail);
        } catch (err) {
          broken = err;
          q.fail(err);
        }
      }
    }
  };
  const askChannel = (pool: Pool, name: string, type: RRType, ok: (rows: unknown[]) => void, fail: (err: unknown) => void): void => {
    pool.queued.push({ name, type, ok, fail });
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  };
  // A name node:dns would rewrite goes out byte for byte through rawQuery.
  const largeAnswer = options.largeAnswer ?? isDkimKeyQuestion;
  const rawAsk = (pool: Pool, name: string, type: RRType, edns: boolean): Promise<unknown[]> => {
    const server = pool.server ?? systemServers()[0];
    if (server === undefined) return Promise.reject(Object.assign(new Error('no DNS server'), { code: 'ECONNREFUSED' }));
    // A DKIM key's reply also says what the selector's CNAME question would get (raw.ts aliasAnswer): kept, so it is not asked.
    const onReply = edns && type === 'TXT' ? (response: Parameters<typeof aliasAnswer>[0]): void => {
      const alias = aliasAnswer(response, name);
      if (alias) answers.prime(`CNAME ${name}`, alias as Final);
    } : undefined;
    const asked = rawQuery(server, name, type, timeoutMs, { edns, onReply });
    if (!edns || needsRawQuery(name)) return asked;
    // A server that refuses EDNS0 (FORMERR or NOTIMP, RFC 6891 §7: ask again without it) is asked through node:dns, as before.
    return asked.catch((err: unknown) => {
      const code = (err as { code?: unknown } | null)?.code;
      if (code === 'EFORMERR' || code === 'ENOTIMP') return new Promise<unknown[]>((ok, fail) => askChannel(pool, name, type, ok, fail));
      throw err;
    });
  };

  const stats: DnsStats = { queries: 0, unique: 0, cacheHits: 0, tempfails: 0 };
  const answers = createSharedAnswers<Final>(cacheSize, (answer) => answer.kind !== 'tempfail', stats);
  const pace = createPacer(options.qps ?? 0);

  // Resolver health. A server is suspect once a query to it timed out (or
  // could not reach it) and it has replied to nothing since that query was
  // sent — and, when it has answered anything before, once a health check
  // (the last question it did answer, asked again) is not answered either:
  // a domain whose own name servers are silent must not make a working
  // resolver look dead. Any reply, NXDOMAIN or SERVFAIL too, makes it alive
  // again. Lookups
  // skip suspect servers: the next server is asked instead, and one query at
  // a time (a probe, at growing intervals) checks whether it is back. When no
  // server is alive, lookups fail at once (ENOSERVER) rather than each
  // waiting out timeouts: one domain against a dead resolver then takes two
  // timeouts (its first queries, one probe), not two phases x (retries + 1).
  const deadAfterMs = timeoutMs * (retries + 1);
  let silentSince: number | null = null;
  const watchers = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...watchers]) w();
  };
  const noteReply = (pool: Pool, name: string, type: RRType): void => {
    pool.lastReplyAt = now();
    pool.lastAnswered = { name, type };
    silentSince = null;
    if (!pool.suspect) return;
    pool.suspect = false;
    pool.backoffMs = timeoutMs;
    notify();
  };
  const noteSilence = (pool: Pool, sentAt: number, mode: AttemptMode): void => {
    if (pool.lastReplyAt !== null && pool.lastReplyAt >= sentAt) return; // it replied to something meanwhile
    const t = now();
    if (!pool.suspect && mode !== 'health') {
      if (pool.checking) return;
      if (pool.lastAnswered) {
        // Ask it something it answered before: a silent name is not a silent server.
        pool.checking = true;
        void attempt(pool, pool.lastAnswered.name, pool.lastAnswered.type, 'health');
        return;
      }
    }
    if (!pool.suspect) {
      pool.suspect = true;
      // With no other server alive, a lookup's retry may probe it at once (one lost datagram is not an outage).
      pool.freeProbe = true;
      pool.backoffMs = timeoutMs;
      pool.probeAt = t + timeoutMs;
      notify();
    } else if (mode === 'probe') {
      pool.probeAt = t + pool.backoffMs;
      pool.backoffMs = Math.min(pool.backoffMs * 2, MAX_PROBE_INTERVAL_MS);
    }
  };

  /**
   * The server for a lookup's next attempt, or null when none may be asked:
   * alive servers in turn (`k` real attempts made so far), never the one
   * `previous` asked when there is another; a suspect one only as a probe,
   * as the lookup's first attempt, or as a retry when no server is alive.
   */
  function pick(k: number, attemptNo: number, probed: boolean, previous: Pool | null): { pool: Pool; probe: boolean } | null {
    if (!pools.some((p) => p.suspect)) {
      // Every server alive (the usual case): in turn, never the previous one twice when there is another.
      let next = pools[k % pools.length] as Pool;
      if (next === previous && pools.length > 1) next = pools[(k + 1) % pools.length] as Pool;
      return { pool: next, probe: false };
    }
    const t = now();
    const alive = pools.filter((p) => !p.suspect);
    if (!probed) {
      const due = pools.find((p) => p.suspect && !p.probing && (t >= p.probeAt || (alive.length === 0 && attemptNo > 0 && p.freeProbe)));
      if (due && (k === 0 || alive.length === 0)) return { pool: due, probe: true };
    }
    let next = alive[k % Math.max(1, alive.length)];
    if (next === previous && alive.length > 1) next = alive[(k + 1) % alive.length];
    return next ? { pool: next, probe: false } : null;
  }

  async function attempt(pool: Pool, name: string, type: RRType, mode: AttemptMode): Promise<Final> {
    // A lookup waits for room in the server's window; probes and health checks (one at a time) do not.
    // Room now is taken without a wait (acquire() gives the slot itself, not a promise).
    const got = mode === 'lookup' ? pool.window.acquire() : null;
    let slot = got instanceof Promise ? await got : got;
    // The server turned suspect while this lookup waited for room. A server
    // that falls behind is suspect for a moment (its next reply clears it);
    // a dead one stays so. Wait, without holding the room, until it answers
    // again (then send) or until no server has answered for deadAfterMs or
    // another one is the one alive (then not sent: the lookup picks again,
    // and fails at once when none is alive). Lookups queued behind a dead
    // server so cost one wait together, not a timeout each.
    while (slot && pool.suspect) {
      slot('other');
      slot = null;
      if ((await waitForServer()) !== 'alive' || pool.suspect) return NOT_SENT;
      slot = await pool.window.acquire();
    }
    const sentAt = now();
    const probe = mode === 'probe';
    stats.queries++;
    if (mode !== 'health') pool.lastQuestion = { name, type };
    if (probe) {
      pool.probing = true;
      pool.probeStartedAt = sentAt;
      pool.freeProbe = false;
    }
    silentSince ??= sentAt;
    // One promise settled by the reply or the deadline, whichever comes first.
    let timer: NodeJS.Timeout | undefined;
    let answer: Final | null = null;
    try {
      answer = await new Promise<Final>((resolve) => {
        timer = setTimeout(resolve, timeoutMs, TIMEOUT);
        const settle = (a: Final): void => {
          // A reply that comes after the deadline is still a sign of life.
          if (isServerReply(a)) noteReply(pool, name, type);
          resolve(a);
        };
        const ok = (raw: unknown[]): void => {
          const records = shape(type, raw);
          settle(records.length > 0 ? { kind: 'records', records } : NODATA);
        };
        const fail = (err: unknown): void => settle(classifyDnsError(err));
        try {
          const edns = largeAnswer(name, type);
          if (edns || needsRawQuery(name)) rawAsk(pool, name, type, edns).then(ok, fail);
          else askChannel(pool, name, type, ok, fail);
        } catch (err) {
          fail(err);
        }
      });
      if (!isServerReply(answer)) noteSilence(pool, sentAt, mode);
      return answer;
    } finally {
      clearTimeout(timer);
      slot?.(answer === null ? 'other' : isServerReply(answer) ? 'answer' : answer.kind === 'tempfail' && answer.reason === 'timeout' ? 'timeout' : 'other');
      if (mode === 'health') pool.checking = false;
      if (probe) {
        pool.probing = false;
        notify();
      }
    }
  }

  async function lookup(name: string, type: RRType): Promise<Final> {
    let last: Final | null = null;
    // Every configured server gets a try, even with --retries 0.
    const attempts = Math.max(retries + 1, pools.length);
    let k = 0;
    let probed = false;
    let previous: Pool | null = null;
    for (let i = 0; i < attempts; i++) {
      if (!pick(k, i, probed, previous)) break;
      const paced = pace();
      if (paced) await paced;
      const next = pick(k, i, probed, previous);
      if (!next) break;
      if (next.probe) probed = true;
      else k++;
      previous = next.pool;
      last = await attempt(next.pool, name, type, next.probe ? 'probe' : 'lookup');
      if (last.kind !== 'tempfail') return last;
    }
    stats.tempfails++;
    return last ?? NO_SERVER;
  }

  function waitForServer(signal?: AbortSignal): Promise<'alive' | 'dead' | 'aborted'> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (outcome: 'alive' | 'dead' | 'aborted'): void => {
        clearTimeout(timer);
        watchers.delete(check);
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = (): void => settle('aborted');
      if (signal?.aborted) return settle('aborted');
      signal?.addEventListener('abort', onAbort, { once: true });
      function check(): void {
        if (pools.some((p) => !p.suspect)) return settle('alive');
        const t = now();
        const deadAt = (silentSince ?? t) + deadAfterMs;
        if (t >= deadAt) return settle('dead');
        // Nobody else may be asking: probe each silent server again, one query at a time, at most once per timeout.
        let wakeAt = deadAt;
        for (const p of pools) {
          const q = p.lastAnswered ?? p.lastQuestion;
          if (p.probing || !q) continue;
          const at = p.probeStartedAt + timeoutMs;
          if (t >= at) void attempt(p, q.name, q.type, 'probe');
          else wakeAt = Math.min(wakeAt, at);
        }
        clearTimeout(timer);
        timer = setTimeout(check, Math.max(1, wakeAt - t));
      }
      watchers.add(check);
      check();
    });
  }

  /**
   * A DKIM selector's CNAME question while its key's TXT is being asked (the
   * DKIM check asks the TXT first): that reply carries the alias (raw.ts
   * aliasAnswer), so the CNAME waits for it, but no longer than four round
   * trips (ALIAS_WAIT_MS before the first answer): a silent name then costs
   * its CNAME that much more, not a timeout. A CNAME asked alone (plan) is
   * asked at once.
   */
  function afterAlias(txt: Promise<Final>): Promise<void> {
    // The first server's round trip stands for all (the key may be asked of another).
    const rtt = (pools[0] as Pool).window.roundTripMs() ?? 0;
    const wait = Math.min(timeoutMs, Math.max(ALIAS_WAIT_MS, 4 * rtt));
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      txt.then(done, done);
    });
  }

  return {
    resolve<T extends RRType>(rawName: string, type: T): Promise<DnsAnswer<RecordTypes[T]>> {
      const name = canonicalName(rawName);
      if (unqueryable(name)) return Promise.resolve({ kind: 'nxdomain' });
      const key = `${type} ${name}`;
      const txt = type === 'CNAME' && largeAnswer(name, 'TXT') ? answers.pending(`TXT ${name}`) : null;
      if (txt) return afterAlias(txt).then(() => answers.get(key, () => lookup(name, 'CNAME'))) as Promise<DnsAnswer<RecordTypes[T]>>;
      return answers.get(key, () => lookup(name, type)) as Promise<DnsAnswer<RecordTypes[T]>>;
    },
    stats: () => ({ ...stats }),
    health: (): DnsHealth => ({
      servers: pools.map((p) => ({ server: p.label, state: p.suspect ? 'suspect' : 'alive', lastAnswerAt: p.lastReplyAt })),
      silentSince,
      deadAfterMs,
      dead: silentSince !== null && now() - silentSince >= deadAfterMs,
    }),
    waitForServer,
    servers: () => servers.map((s) => s.label),
    slot: (label: string): QuerySlot | Promise<QuerySlot> | null => {
      const pool = pools.find((p) => p.label === label);
      if (!pool) return null;
      // The other client's queries count against --qps too (the MX questions go through the secure client).
      const paced = pace();
      return paced ? paced.then(() => pool.window.acquire()) : pool.window.acquire();
    },
    windows: () => pools.map((p) => ({ server: p.label, ...p.window.state() })),
  };
}

/**
 * The answers of a client, asked once: a cached answer, else the lookup
 * already in flight for the key, else a new lookup (counted in
 * `stats.unique`; hits in `stats.cacheHits`) whose answer is cached when
 * `keep` says so (never a failure: the next domain asks again). No set of
 * every key seen: memory stays flat in the number of domains. The main
 * client and the secure client (secure.ts) both ask through one.
 */
export function createSharedAnswers<V>(size: number, keep: (answer: V) => boolean, stats: { cacheHits: number; unique: number }): { get(key: string, lookup: () => Promise<V>): Promise<V>; pending(key: string): Promise<V> | null; prime(key: string, answer: V): void } {
  const cache = createAnswerCache<V>(size);
  const inFlight = new Map<string, Promise<V>>();
  return {
    /** The answer to `key` cached or being asked, without asking it; null when neither. */
    pending(key) {
      const cached = cache.get(key);
      if (cached !== undefined) return Promise.resolve(cached);
      return inFlight.get(key) ?? null;
    },
    /** An answer learned from another reply (raw.ts aliasAnswer), kept unless the key is cached or being asked. */
    prime(key, answer) {
      if (cache.get(key) === undefined && !inFlight.has(key)) cache.set(key, answer);
    },
    get(key, lookup) {
      const cached = cache.get(key);
      if (cached !== undefined) {
        stats.cacheHits++;
        return Promise.resolve(cached);
      }
      const pending = inFlight.get(key);
      if (pending) {
        stats.cacheHits++;
        return pending;
      }
      stats.unique++;
      const p = lookup().then((answer) => {
        inFlight.delete(key);
        if (keep(answer)) cache.set(key, answer);
        return answer;
      });
      inFlight.set(key, p);
      return p;
    },
  };
}

/**
 * A bounded cache in two generations: entries go into the young Map; when it
 * holds half the size, it becomes the old one and the previous old one is
 * dropped; a hit in the old one moves the entry to the young one. Everything
 * is O(1). (A single Map used as an LRU, deleting and re-adding on every hit,
 * made V8 walk ever more deleted slots: profiled at 2.5 s of 23 s for 10,000
 * domains.) Hot names such as spf.protection.outlook.com stay young.
 */
function createAnswerCache<V = Final>(size: number): { get(key: string): V | undefined; set(key: string, value: V): void } {
  const half = Math.max(1, Math.floor(size / 2));
  let young = new Map<string, V>();
  let old = new Map<string, V>();
  const set = (key: string, value: V): void => {
    young.set(key, value);
    if (young.size >= half) {
      old = young;
      young = new Map();
    }
  };
  return {
    get(key) {
      const hit = young.get(key);
      if (hit !== undefined) return hit;
      const aged = old.get(key);
      if (aged !== undefined) {
        old.delete(key);
        set(key, aged);
      }
      return aged;
    },
    set,
  };
}

/** Records as node:dns gives them (rawQuery gives the same shapes). */
function ask(resolver: Resolver, name: string, type: RRType): Promise<unknown[]> {
  switch (type) {
    case 'A':
      return resolver.resolve4(name);
    case 'AAAA':
      return resolver.resolve6(name);
    case 'CNAME':
      return resolver.resolveCname(name);
    case 'MX':
      return resolver.resolveMx(name);
    case 'TXT':
      return resolver.resolveTxt(name);
    case 'PTR':
      return resolver.resolvePtr(name);
    case 'NS':
      return resolver.resolveNs(name);
  }
}

/** node:dns shapes → ours: MX exchanges canonical, the strings of a TXT record joined. */
function shape(type: RRType, rows: unknown[]): unknown[] {
  if (type === 'MX') {
    return (rows as { exchange: string; priority: number }[]).map((r): MxRecord => ({ exchange: canonicalName(r.exchange), priority: r.priority }));
  }
  if (type === 'TXT') return (rows as string[][]).map((chunks) => chunks.join(''));
  return rows;
}

/** Spaces queries at most `qps` a second (resolvers that rate-limit drop the rest). */
function createPacer(qps: number): () => Promise<void> | null {
  if (!(qps > 0)) return () => null;
  const interval = 1000 / qps;
  let next = 0;
  return () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + interval;
    const wait = at - now;
    return wait <= 0 ? null : new Promise((r) => setTimeout(r, wait));
  };
}
