/**
 * Hostile loopback SMTP servers for the probe's tests: hand-written
 * node:net/node:tls servers that misbehave in one way each: silent, refused,
 * no STARTTLS, TLS 1.0/1.1 only, a banner at one byte a second, an endless
 * line, garbage lines, closing early, refusing the session, echoing the
 * password or the XOAUTH2 token back. The well-behaved, Microsoft-like endpoint is the sandbox's
 * (src/sandbox/smtp-server.ts), re-exported here for the tests.
 *
 * TLS 1.0/1.1 with Node 20 / OpenSSL 3: OpenSSL's default security level (1)
 * refuses them outright ("no suitable signature algorithm"), so the legacy
 * server sets `ciphers: 'DEFAULT@SECLEVEL=0'` with min/maxVersion pinned to
 * the old version, and the probe offers `minVersion: 'TLSv1'` with the same
 * cipher string. With that pair the handshake completes as TLSv1 /
 * TLSv1.1 (ECDHE-ECDSA-AES256-SHA with the EC test certificate).
 */
import net from 'node:net';
import tls from 'node:tls';
import { closeAll, createTestCertificates, listen, type TestCertificates, type TestSmtpServer } from '../../src/sandbox/smtp-server.js';

export * from '../../src/sandbox/smtp-server.js';

export type HostileKind =
  /** Accepts the connection and never says anything. */
  | 'silent'
  /** Nothing listens on the port (connection refused). */
  | 'refused'
  /** Banner and EHLO, but no STARTTLS in the list. */
  | 'no-starttls'
  /** STARTTLS, then a handshake that only speaks TLS 1.0 (or `legacyVersion`). */
  | 'tls-legacy'
  /** The banner one byte every `intervalMs`. */
  | 'slow-banner'
  /** A line that never ends. */
  | 'endless-line'
  /** Garbage lines around a multi-line banner and EHLO reply; no STARTTLS. */
  | 'garbage'
  /** Banner, then the connection closes on EHLO. */
  | 'early-close'
  /** Greets with 554 (no service for this client) and closes. */
  | 'refuse-session'
  /**
   * STARTTLS (TLS 1.2+ with the test CA) and AUTH LOGIN, then echoes the
   * password it was sent, and its base64, in every line it writes after it:
   * a garbage line, a multi-line 535 reply, and the reply to QUIT.
   */
  | 'echo-auth'
  /**
   * STARTTLS and AUTH XOAUTH2 (either form), then echoes the token it was
   * sent, its base64 and the whole blob in every line it writes after it.
   */
  | 'echo-oauth';

export interface HostileOptions {
  host?: string;
  /** slow-banner: the gap between bytes (default 1000 ms). */
  intervalMs?: number;
  /** tls-legacy: the only protocol offered (default TLSv1). */
  legacyVersion?: 'TLSv1' | 'TLSv1.1';
  certificates?: TestCertificates;
  /**
   * echo-auth / echo-oauth: what the server writes once the secret (the
   * password, the token) came, instead of echoing it whole everywhere: the
   * lines returned (CRLF-separated, the last CRLF added), and a plain 221 to
   * QUIT. For partial, split or re-encoded echoes.
   */
  echo?: (secret: string) => string;
}

const HOSTILE_NAME = 'mx.hostile.test';

/** Reads CRLF lines from a socket and answers them; `onLine` may replace the socket (TLS). */
function lineLoop(socket: net.Socket, onLine: (line: string, socket: net.Socket) => void): void {
  let buf = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    buf += d;
    if (buf.length > 65536) {
      socket.destroy();
      return;
    }
    let i = buf.indexOf('\n');
    while (i !== -1) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      onLine(line, socket);
      if (socket.destroyed) return;
      i = buf.indexOf('\n');
    }
  });
}

/** Starts a misbehaving server on loopback. */
export async function startHostileSmtpServer(kind: HostileKind, opts: HostileOptions = {}): Promise<TestSmtpServer> {
  const host = opts.host ?? '127.0.0.1';
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const certs = kind === 'tls-legacy' || kind === 'echo-auth' || kind === 'echo-oauth' ? (opts.certificates ?? (await createTestCertificates())) : null;
  const verb = (line: string): string => line.split(' ')[0]?.toUpperCase() ?? '';

  if (kind === 'refused') {
    // Bind, learn the port, release it: nothing listens there afterwards.
    const probe = net.createServer();
    const port = await listen(probe, host, 0);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return { host, port, caPem: '', commands: () => [], authAttempts: () => [], close: async () => undefined };
  }

  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };

  const session = (socket: net.Socket): void => {
    track(socket);
    switch (kind) {
      case 'silent':
        return;
      case 'slow-banner': {
        const text = Buffer.from(`220 ${HOSTILE_NAME} ESMTP slow\r\n`);
        let i = 0;
        const t = setInterval(() => {
          if (socket.destroyed || i >= text.length) {
            clearInterval(t);
            timers.delete(t);
            return;
          }
          socket.write(text.subarray(i, i + 1));
          i++;
        }, opts.intervalMs ?? 1000);
        timers.add(t);
        socket.on('close', () => {
          clearInterval(t);
          timers.delete(t);
        });
        return;
      }
      case 'endless-line': {
        const chunk = Buffer.alloc(1024, 'A');
        let sent = 0;
        // Bounded at 64 MiB so a client that never stops reading cannot keep the test running.
        const pump = (): void => {
          while (!socket.destroyed && sent < 64 * 1024 * 1024) {
            sent += chunk.length;
            if (!socket.write(chunk)) {
              socket.once('drain', pump);
              return;
            }
          }
        };
        pump();
        return;
      }
      case 'refuse-session':
        socket.end(`554 5.7.1 Service unavailable; Client host [${socket.remoteAddress ?? '?'}] blocked using Spamhaus\r\n`);
        return;
      case 'early-close':
        socket.write(`220 ${HOSTILE_NAME} ESMTP ready\r\n`);
        lineLoop(socket, (line, s) => {
          commands.push(verb(line));
          s.destroy();
        });
        return;
      case 'garbage':
        socket.write(`hello there\r\n\x1b[31mnot smtp\x1b[0m\r\n220-${HOSTILE_NAME} ESMTP\r\n*** noise ***\r\n220 ready\r\n`);
        lineLoop(socket, (line, s) => {
          commands.push(verb(line));
          if (verb(line) === 'EHLO') s.write(`250-${HOSTILE_NAME}\r\n250-PIPELINING\r\n??? junk in the middle\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n`);
          else if (verb(line) === 'QUIT') s.end('221 bye\r\n');
          else s.write('502 5.5.1 not implemented\r\n');
        });
        return;
      case 'no-starttls':
        socket.write(`220 ${HOSTILE_NAME} ESMTP ready\r\n`);
        lineLoop(socket, (line, s) => {
          commands.push(verb(line));
          if (verb(line) === 'EHLO') s.write(`250-${HOSTILE_NAME} Hello\r\n250-PIPELINING\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n`);
          else if (verb(line) === 'QUIT') s.end('221 2.0.0 bye\r\n');
          else s.write('502 5.5.1 not implemented\r\n');
        });
        return;
      case 'tls-legacy': {
        socket.write(`220 ${HOSTILE_NAME} ESMTP legacy\r\n`);
        const version = opts.legacyVersion ?? 'TLSv1';
        const answer = (line: string, s: net.Socket, secure: boolean): void => {
          commands.push(verb(line));
          const v = verb(line);
          if (v === 'EHLO') s.write(`250-${HOSTILE_NAME} Hello\r\n250-PIPELINING\r\n${secure ? '250-AUTH LOGIN\r\n' : '250-STARTTLS\r\n'}250 8BITMIME\r\n`);
          else if (v === 'QUIT') s.end('221 2.0.0 bye\r\n');
          else if (v === 'AUTH') s.write('535 5.7.8 no\r\n');
          else s.write('502 5.5.1 not implemented\r\n');
        };
        // OpenSSL 3 refuses TLS < 1.2 at its default security level; level 0 allows it.
        upgradeOnStarttls(socket, { key: certs?.keyPem, cert: certs?.certPem, minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' }, answer);
        return;
      }
      case 'echo-auth': {
        socket.write(`220 ${HOSTILE_NAME} ESMTP echo\r\n`);
        let step: 'none' | 'user' | 'password' = 'none';
        let echoed = '';
        const answer = (line: string, s: net.Socket, secure: boolean): void => {
          const v = verb(line);
          if (step === 'user') {
            commands.push('AUTH');
            step = 'password';
            s.write('334 UGFzc3dvcmQ6\r\n');
            return;
          }
          if (step === 'password') {
            commands.push('AUTH');
            step = 'none';
            const sent = line.trim();
            const password = Buffer.from(sent, 'base64').toString('utf8');
            if (opts.echo) {
              s.write(`${opts.echo(password)}\r\n`);
              return;
            }
            echoed = `${password} ${sent}`;
            s.write(`you sent ${password}\r\n535-5.7.3 password ${password} is wrong\r\n535-${sent}\r\n535 5.7.3 ${password}\r\n`);
            return;
          }
          commands.push(v);
          if (v === 'EHLO') s.write(`250-${HOSTILE_NAME} Hello\r\n250-PIPELINING\r\n${secure ? '250-AUTH LOGIN\r\n' : '250-STARTTLS\r\n'}250 8BITMIME\r\n`);
          else if (v === 'AUTH' && secure) {
            step = 'user';
            s.write('334 VXNlcm5hbWU6\r\n');
          } else if (v === 'QUIT') s.end(`221 2.0.0 bye ${echoed}\r\n`);
          else s.write('502 5.5.1 not implemented\r\n');
        };
        upgradeOnStarttls(socket, { key: certs?.keyPem, cert: certs?.certPem }, answer);
        return;
      }
      case 'echo-oauth': {
        socket.write(`220 ${HOSTILE_NAME} ESMTP echo\r\n`);
        let awaitingBlob = false;
        let echoed = '';
        const echo = (s: net.Socket, blob: string): void => {
          const token = /auth=Bearer ([^\x01]*)/.exec(Buffer.from(blob, 'base64').toString('utf8'))?.[1] ?? '';
          if (opts.echo) {
            s.write(`${opts.echo(token)}\r\n`);
            return;
          }
          const b64 = Buffer.from(token).toString('base64');
          echoed = `${token} ${blob}`;
          s.write(`you sent ${token}\r\n535-5.7.3 token ${token} is wrong\r\n535-${blob}\r\n535 5.7.3 ${b64}\r\n`);
        };
        const answer = (line: string, s: net.Socket, secure: boolean): void => {
          const v = verb(line);
          commands.push(awaitingBlob ? 'AUTH' : v);
          if (awaitingBlob) {
            awaitingBlob = false;
            echo(s, line.trim());
          } else if (v === 'EHLO') s.write(`250-${HOSTILE_NAME} Hello\r\n250-PIPELINING\r\n${secure ? '250-AUTH XOAUTH2\r\n' : '250-STARTTLS\r\n'}250 8BITMIME\r\n`);
          else if (v === 'AUTH' && secure) {
            const blob = line.split(' ')[2];
            if (blob) echo(s, blob);
            else {
              awaitingBlob = true;
              s.write('334 \r\n');
            }
          } else if (v === 'QUIT') s.end(`221 2.0.0 bye ${echoed}\r\n`);
          else s.write('502 5.5.1 not implemented\r\n');
        };
        upgradeOnStarttls(socket, { key: certs?.keyPem, cert: certs?.certPem }, answer);
        return;
      }
    }
  };

  /** Answers plain lines until STARTTLS, then the same over TLS (`secure` true). */
  const upgradeOnStarttls = (socket: net.Socket, context: tls.SecureContextOptions, answer: (line: string, s: net.Socket, secure: boolean) => void): void => {
    let upgraded = false;
    lineLoop(socket, (line, s) => {
      if (upgraded) return;
      if (verb(line) === 'STARTTLS') {
        commands.push('STARTTLS');
        upgraded = true;
        s.removeAllListeners('data');
        s.write('220 2.0.0 go ahead\r\n');
        const secure = new tls.TLSSocket(s, { isServer: true, secureContext: tls.createSecureContext(context) });
        track(secure);
        lineLoop(secure, (l, ss) => answer(l, ss, true));
        return;
      }
      answer(line, s, false);
    });
  };

  const server = net.createServer(session);
  server.on('error', () => undefined);
  const port = await listen(server, host, 0);
  return {
    host,
    port,
    caPem: certs?.caPem ?? '',
    commands: () => [...commands],
    authAttempts: () => [],
    close: () => {
      for (const t of timers) clearInterval(t);
      return closeAll(server, sockets);
    },
  };
}
