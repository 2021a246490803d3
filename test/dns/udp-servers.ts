import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import * as packet from 'dns-packet';

export interface Query {
  name: string;
  type: string;
}

/**
 * A resolver that is there but silent: a UDP socket on 127.0.0.1 that reads
 * every query and drops it. It records each question (`queries`), settles
 * `nextQuery()` at the next one, and can come back to life: `answer('nxdomain')`
 * (or 'refused') makes it reply from then on.
 */
export interface SilentServer {
  server: string;
  queries: Query[];
  nextQuery(): Promise<Query>;
  answer(mode: 'drop' | 'nxdomain' | 'refused'): void;
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const socket = createSocket('udp4');
  const queries: Query[] = [];
  let waiting: ((q: Query) => void)[] = [];
  let mode: 'drop' | 'nxdomain' | 'refused' = 'drop';
  socket.on('message', (msg, rinfo) => {
    let query: packet.Packet;
    try {
      query = packet.decode(msg);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    if (!q) return;
    const asked = { name: q.name.toLowerCase(), type: q.type };
    queries.push(asked);
    const woken = waiting;
    waiting = [];
    for (const w of woken) w(asked);
    if (mode === 'drop') return;
    const rcode = mode === 'nxdomain' ? 3 : 5;
    socket.send(packet.encode({ type: 'response', id: query.id ?? 0, flags: packet.RECURSION_AVAILABLE | rcode, questions: [q] }), rinfo.port, rinfo.address);
  });
  await bind(socket);
  return {
    server: `127.0.0.1:${socket.address().port}`,
    queries,
    nextQuery: () => new Promise((resolve) => waiting.push(resolve)),
    answer: (m) => void (mode = m),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/**
 * A hostile server that answers every query with the QR bit clear (a query,
 * not a response: RFC 1035 4.1.1) but with the right ID, question and an A
 * record 192.0.2.66. Names starting with `tc-` or `xn--tc` get a proper truncated UDP
 * response (QR=1, TC=1) and then the QR=0 message over TCP on the same port.
 */
export async function startQrZeroServer(): Promise<{ server: string; udpQueries: () => number; tcpQueries: () => number; close(): Promise<void> }> {
  let udp = 0;
  let tcp = 0;
  const reply = (query: packet.Packet, qr: boolean, truncated = false): Buffer => {
    const q = query.questions?.[0] as packet.Question;
    return packet.encode({
      type: qr ? 'response' : 'query',
      id: query.id ?? 0,
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (truncated ? packet.TRUNCATED_RESPONSE : 0),
      questions: [q],
      answers: truncated ? [] : [{ type: 'A', name: q.name, ttl: 60, class: 'IN', data: '192.0.2.66' }],
    });
  };
  const onMessage = (socket: Socket, msg: Buffer, rinfo: { port: number; address: string }): void => {
    const query = packet.decode(msg);
    if (!query.questions?.[0]) return;
    udp++;
    const tc = /^(tc-|xn--tc)/.test(query.questions[0].name.toLowerCase());
    socket.send(tc ? reply(query, true, true) : reply(query, false), rinfo.port, rinfo.address);
  };
  const tcpServer: Server = createServer((conn) => {
    conn.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
      tcp++;
      const out = reply(packet.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))), false);
      const framed = Buffer.alloc(2 + out.length);
      framed.writeUInt16BE(out.length, 0);
      out.copy(framed, 2);
      conn.write(framed);
    });
  });
  // UDP on a free port, then TCP on the same one (again if that one is taken).
  let socket: Socket | null = null;
  for (let tries = 0; tries < 20 && !socket; tries++) {
    const udpSocket = createSocket('udp4');
    udpSocket.on('message', (msg, rinfo) => onMessage(udpSocket, msg, rinfo));
    await bind(udpSocket);
    const listening = await new Promise<boolean>((resolve) => {
      tcpServer.once('error', () => resolve(false));
      tcpServer.listen(udpSocket.address().port, '127.0.0.1', () => resolve(true));
    });
    if (listening) socket = udpSocket;
    else await new Promise<void>((resolve) => udpSocket.close(() => resolve()));
  }
  if (!socket) throw new Error('could not bind the QR=0 server');
  const udpSocket: Socket = socket;
  const port = udpSocket.address().port;
  return {
    server: `127.0.0.1:${port}`,
    udpQueries: () => udp,
    tcpQueries: () => tcp,
    close: () => new Promise((resolve) => udpSocket.close(() => tcpServer.close(() => resolve()))),
  };
}

function bind(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
