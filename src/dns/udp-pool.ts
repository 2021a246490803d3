/**
 * Shared UDP sockets for the raw and secure DNS clients (raw.ts): opening,
 * connecting and closing a socket for every query cost about a quarter of a
 * millisecond each, the largest part of the DNSSEC query's cost in a batch
 * of 10,000 domains (BENCHMARKS.md). A socket per server is used for at most
 * MAX_USES queries, then a fresh one takes over, so the source port still
 * changes often (RFC 5452 §9.2: the port and the ID together make a spoofed
 * answer hard to place); a retired socket closes when its last query ends.
 * Replies are handed to the query of their ID; the query checks the rest
 * (QR, the question) and otherwise keeps waiting. A socket error ends every
 * query waiting on it. No timer: the caller's deadline ends a wait.
 */
import dgram from 'node:dgram';
import net from 'node:net';

/** Queries one socket carries before a fresh one (a fresh source port) takes over. */
export const MAX_USES = 64;

/** What a waiting query is told: a reply with its ID (to be checked further), or the socket's error. */
export interface UdpWaiter {
  reply(msg: Buffer): void;
  error(err: Error): void;
}

interface Entry {
  socket: dgram.Socket;
  /** Resolves when connected; rejects with the connect error. */
  ready: Promise<void>;
  waiting: Map<number, UdpWaiter>;
  uses: number;
  retired: boolean;
}

const current = new Map<string, Entry>();

/**
 * One datagram kept for the life of the process. Node makes a datagram's
 * Buffer in C++ and gives it Buffer.prototype afterwards, so its V8 map comes
 * from a prototype transition that a full collection drops when no such
 * buffer is alive; every function optimized on that map (dns-packet's
 * decoding, Buffer#readUInt16BE, this pool's reader) is then thrown away and
 * compiled again. With a full collection every 250 rows (cli/memory.ts,
 * now on heap growth) that was about 21 recompilations of each per 8,000
 * domains (node --trace-deopt: "marking dependent code ... reason: weak
 * objects"); a buffer of that map kept alive keeps the map, and the code.
 */
let mapKeeper: Buffer | null = null;

function open(host: string, port: number, key: string): Entry {
  const socket = dgram.createSocket(net.isIP(host) === 6 ? 'udp6' : 'udp4');
  const entry: Entry = { socket, ready: Promise.resolve(), waiting: new Map(), uses: 0, retired: false };
  const fail = (err: Error): void => {
    retire(entry, key);
    for (const w of entry.waiting.values()) w.error(err);
    entry.waiting.clear();
    close(entry);
  };
  socket.on('error', fail);
  socket.on('message', (msg, rinfo) => {
    mapKeeper ??= msg;
    if (rinfo.port !== port || msg.length < 2) return;
    entry.waiting.get(msg.readUInt16BE(0))?.reply(msg);
  });
  // A socket that waits for nothing keeps no process alive.
  socket.unref();
  // A failed connect (EACCES, EINVAL, ENETUNREACH) comes to this callback, not to 'error'.
  entry.ready = new Promise<void>((resolve, reject) => socket.connect(port, host, (err?: Error) => (err ? reject(err) : resolve())));
  entry.ready.catch(fail);
  return entry;
}

function retire(entry: Entry, key: string): void {
  entry.retired = true;
  if (current.get(key) === entry) current.delete(key);
}

function close(entry: Entry): void {
  try {
    entry.socket.close();
  } catch {
    // already closed
  }
}

/**
 * Sends `message` (whose first two bytes are its ID) to host:port on a shared
 * socket and hands the waiter the replies with that ID. Returns the release
 * to call once the query is over (answered, timed out or failed).
 */
export function sendShared(host: string, port: number, message: Buffer, waiter: UdpWaiter): () => void {
  const key = `${host} ${port}`;
  const id = message.readUInt16BE(0);
  let entry = current.get(key);
  // A busy ID on this socket (two queries drew the same one): a socket of its own.
  if (!entry || entry.waiting.has(id)) {
    if (entry) retire(entry, key);
    entry = open(host, port, key);
    current.set(key, entry);
  }
  const e = entry;
  e.uses++;
  if (e.uses >= MAX_USES) retire(e, key);
  e.waiting.set(id, waiter);
  e.ready.then(() => e.socket.send(message, (err) => err && waiter.error(err)), (err: Error) => waiter.error(err));
  return () => {
    if (e.waiting.get(id) === waiter) e.waiting.delete(id);
    if (e.retired && e.waiting.size === 0) close(e);
  };
}
