/**
 * The sandbox's loopback SMTP endpoint (demo, `m365audit sandbox --smtp`,
 * benchmarks, tests):
 *
 * - `startMicrosoftLikeSmtpServer`: smtp-server speaking like Exchange
 *   Online's submission endpoint (reference §8): Microsoft's banner, EHLO
 *   lists before and after STARTTLS, `AUTH LOGIN XOAUTH2` only after TLS, and
 *   a configurable AUTH outcome (accept, 535 5.7.3, 535 5.7.139, 550 5.7.30 …):
 *   AUTH LOGIN checks `credentials`, AUTH XOAUTH2 checks `oauth` (exactly
 *   that user and token), and a bad token gets Exchange Online's 535 5.7.3
 *   at once, with no 334 challenge (research oauth.md §2).
 *   Its certificate is issued at run time by a throw-away CA (`selfsigned`);
 *   `caPem` is what a client must trust (`--tls-ca`).
 *
 * (The hostile servers of the probe's tests live in test/support/smtp-servers.ts.)
 */
import net from 'node:net';
import tls from 'node:tls';
import { createTestCertificates, type TestCertificates } from './certificates.js';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerAuthenticationResponse, type SMTPServerSession } from 'smtp-server';


/**
 * A running loopback SMTP server: where it listens, the CA to trust, what it
 * was sent (verbs only, never AUTH payloads), and `close()`.
 */
export interface TestSmtpServer {
  host: string;
  port: number;
  /** The CA to trust for this server's certificate ('' when it has none). */
  caPem: string;
  /** Commands received (verb only; AUTH payloads are never recorded). */
  commands(): string[];
  /** AUTH attempts: the mechanism, the user name and whether it was accepted. Passwords and tokens are not kept. */
  authAttempts(): { method: string; user: string; accepted: boolean }[];
  close(): Promise<void>;
}

/** A reply to the last AUTH step: `{ code: 535, text: '5.7.3 Authentication unsuccessful' }`. */
export interface AuthReply {
  code: number;
  text: string;
}

/**
 * AUTH replies as Exchange Online words them (reference §9), for tests and
 * the demo. The bracketed ids mimic Microsoft's trailer.
 */
export const MICROSOFT_AUTH_REPLIES = {
  badCredentials: { code: 535, text: '5.7.3 Authentication unsuccessful [MW4PR03CA0001.namprd03.prod.outlook.com 2026-01-01T00:00:00.000Z 08DE4B2C1A7F3E90]' },
  disabled: { code: 535, text: '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. [MW4PR03CA0001.namprd03.prod.outlook.com 2026-01-01T00:00:00.000Z 08DE4B2C1A7F3E90]' },
  securityDefaults: { code: 535, text: "5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator. [MW4PR03CA0001.namprd03.prod.outlook.com]" },
  basicRetired: { code: 550, text: '5.7.30 Basic authentication is not supported for Client Submission.' },
} as const satisfies Record<string, AuthReply>;

/** The AUTH mechanisms the endpoint offers after TLS (Exchange Online: both). */
export type SandboxAuthMechanism = 'LOGIN' | 'XOAUTH2';

/** How the endpoint answers one mechanism: check the configured credentials, accept anything, or always give this reply. */
export type AuthMode = 'check' | 'accept' | AuthReply;

/** Options of startMicrosoftLikeSmtpServer: where it listens, its name and greeting, TLS mode, and how it answers AUTH. */
export interface MicrosoftLikeOptions {
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Port (default: any free one). */
  port?: number;
  /** The host name in the banner and EHLO (default MW4PR03CA0001.outlook.office365.com). */
  serverName?: string;
  /** A greeting text to use instead of Microsoft's (after `220 `), e.g. to test SMTP_BANNER_NOT_M365. */
  greeting?: string;
  /** STARTTLS on a plain port (default), or TLS from the first byte. */
  tls?: 'starttls' | 'implicit';
  /**
   * The AUTH outcome, for both mechanisms: `check` (default) accepts
   * `credentials` (LOGIN) and `oauth` (XOAUTH2) and answers 535 5.7.3 to
   * anything else; `accept` takes any password or token; an AuthReply is
   * sent for every attempt (MICROSOFT_AUTH_REPLIES.disabled: SMTP AUTH off,
   * which blocks OAuth too).
   */
  auth?: AuthMode;
  /** AUTH LOGIN's outcome instead of `auth` (MICROSOFT_AUTH_REPLIES.basicRetired: Basic auth removed, XOAUTH2 still checked). */
  login?: AuthMode;
  /** AUTH XOAUTH2's outcome instead of `auth`. */
  xoauth2?: AuthMode;
  /** The user and password AUTH LOGIN accepts. */
  credentials?: { user: string; password: string };
  /**
   * The user and access token AUTH XOAUTH2 accepts: exactly this token, or
   * any token `accepts` says yes to (Exchange Online's own checks: a
   * signature by the sandbox token endpoint, its audience and roles).
   */
  oauth?: { user: string; token: string } | { user: string; accepts: (token: string) => boolean | Promise<boolean> };
  /**
   * Answer a rejected XOAUTH2 token as Gmail does: a 334 with a base64 JSON
   * error, then 535 after the client's empty line (default: Exchange
   * Online's 535 at once).
   */
  oauthChallenge?: boolean;
  /** The mechanisms offered after TLS (default LOGIN and XOAUTH2). */
  mechanisms?: readonly SandboxAuthMechanism[];
  /** Default: a CA-issued certificate for localhost, 127.0.0.1 and ::1. */
  certificates?: TestCertificates;
}

const DEFAULT_SERVER_NAME = 'MW4PR03CA0001.outlook.office365.com';

const ALL_MECHANISMS: readonly SandboxAuthMechanism[] = ['LOGIN', 'XOAUTH2'];

/** Exchange Online's EHLO keywords (reference §8), STARTTLS before TLS, AUTH after it (`AUTH LOGIN XOAUTH2` unless `mechanisms` says otherwise). */
export function microsoftEhlo(serverName: string, clientAddress: string, secure: boolean, mechanisms: readonly SandboxAuthMechanism[] = ALL_MECHANISMS): string[] {
  const auth = mechanisms.length > 0 ? [`AUTH ${mechanisms.join(' ')}`] : [];
  return [
    `${serverName} Hello [${clientAddress}]`,
    'SIZE 157286400',
    'PIPELINING',
    'DSN',
    'ENHANCEDSTATUSCODES',
    ...(secure ? auth : ['STARTTLS']),
    '8BITMIME',
    'BINARYMIME',
    'CHUNKING',
    'SMTPUTF8',
  ];
}

/** `Thu, 1 Jan 2026 00:00:00 +0000`, as Microsoft's banner gives the time. */
function bannerDate(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** Exchange Online's greeting text after `220 ` (reference §8), dated `at` (default now). */
export function microsoftBanner(serverName: string, at: Date = new Date()): string {
  return `${serverName} Microsoft ESMTP MAIL Service ready at ${bannerDate(at)} [08DE4B2C1A7F3E90]`;
}

export function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

export function closeAll(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * smtp-server's EHLO list is fixed (it has no BINARYMIME/CHUNKING and shows
 * AUTH before TLS, which Exchange Online does not), so each connection's
 * `send` is wrapped to give Microsoft's wording. The session logic (state
 * machine, STARTTLS upgrade, SASL LOGIN/XOAUTH2) stays smtp-server's.
 */
class MicrosoftLikeServer extends SMTPServer {
  constructor(
    options: ConstructorParameters<typeof SMTPServer>[0],
    private readonly serverName: string,
    private readonly greeting: string,
    private readonly mechanisms: readonly SandboxAuthMechanism[],
  ) {
    super(options);
  }

  override connect(socket: net.Socket | tls.TLSSocket, socketOptions?: Parameters<SMTPServer['connect']>[1]): void {
    super.connect(socket, socketOptions);
    const connection = [...this.connections].at(-1);
    if (!connection) return;
    const send = connection.send.bind(connection);
    let greeted = false;
    connection.send = (code: number, data?: string | string[] | null, context?: string | false): void => {
      if (code === 220 && !greeted) {
        greeted = true;
        send(220, this.greeting, false);
      } else if (code === 250 && Array.isArray(data)) {
        send(250, microsoftEhlo(this.serverName, connection.remoteAddress, connection.secure, this.mechanisms), false);
      } else if (code === 220 && data === 'Ready to start TLS') {
        send(220, '2.0.0 SMTP server ready', false);
      } else if (code === 538) {
        send(504, '5.7.4 Unrecognized authentication type', false);
      } else if (code === 235) {
        send(235, '2.7.0 Authentication successful', false);
      } else if (code === 221) {
        send(221, '2.0.0 Service closing transmission channel', false);
      } else {
        send(code, data, context);
      }
    };
  }
}

export { createTestCertificates, type CertificateOptions, type TestCertificates } from './certificates.js';

/**
 * Starts the Microsoft-like submission endpoint (see the module comment) on
 * loopback, on a free port unless `opts.port` is given. Resolves once it
 * listens; call `close()` when done.
 */
export async function startMicrosoftLikeSmtpServer(opts: MicrosoftLikeOptions = {}): Promise<TestSmtpServer> {
  const host = opts.host ?? '127.0.0.1';
  const certs = opts.certificates ?? (await createTestCertificates());
  const serverName = opts.serverName ?? DEFAULT_SERVER_NAME;
  const commands: string[] = [];
  const attempts: { method: string; user: string; accepted: boolean }[] = [];
  const mechanisms = opts.mechanisms ?? ALL_MECHANISMS;
  const modeOf = (method: string): AuthMode => (method === 'XOAUTH2' ? opts.xoauth2 : opts.login) ?? opts.auth ?? 'check';
  /** Exactly the configured user and secret, for the mechanism used. */
  const matches = async (auth: SMTPServerAuthentication): Promise<boolean> => {
    if (auth.method === 'LOGIN') return !!opts.credentials && auth.username === opts.credentials.user && auth.password === opts.credentials.password;
    if (auth.method !== 'XOAUTH2' || !opts.oauth || auth.username !== opts.oauth.user) return false;
    const token = auth.accessToken ?? '';
    if ('accepts' in opts.oauth) {
      try {
        return await opts.oauth.accepts(token);
      } catch {
        return false;
      }
    }
    return token === opts.oauth.token;
  };
  const record = (meta: unknown): void => {
    const m = meta as { tnx?: string; command?: string } | undefined;
    if (m?.tnx === 'command' && m.command) commands.push(m.command.toUpperCase());
  };
  const noop = (): void => undefined;
  const server = new MicrosoftLikeServer(
    {
      secure: opts.tls === 'implicit',
      key: certs.keyPem,
      cert: certs.certPem,
      name: serverName,
      authMethods: [...mechanisms],
      // The texts below carry Microsoft's enhanced codes themselves.
      hideENHANCEDSTATUSCODES: true,
      size: 157286400,
      disableReverseLookup: true,
      closeTimeout: 50,
      socketTimeout: 30_000,
      logger: { trace: noop, debug: record, info: noop, warn: noop, error: noop, fatal: noop } as never,
      onAuth(auth: SMTPServerAuthentication, _session: SMTPServerSession, callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void) {
        void answerAuth(auth, callback);
      },
    },
    serverName,
    opts.greeting ?? microsoftBanner(serverName),
    mechanisms,
  );
  async function answerAuth(auth: SMTPServerAuthentication, callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void): Promise<void> {
    const user = auth.username ?? '';
    const mode = modeOf(auth.method);
    let accepted: boolean;
    let reply: AuthReply | null = null;
    if (mode === 'accept') accepted = true;
    else if (mode === 'check') {
      accepted = await matches(auth);
      if (!accepted) reply = MICROSOFT_AUTH_REPLIES.badCredentials;
    } else {
      accepted = false;
      reply = mode;
    }
    attempts.push({ method: auth.method, user, accepted });
    if (accepted) return callback(null, { user });
    // Gmail's way: a 334 with the error as base64 JSON; smtp-server then answers the client's next line with 535.
    if (auth.method === 'XOAUTH2' && mode === 'check' && opts.oauthChallenge) return callback(null, { data: { status: '400', schemes: 'Bearer', scope: 'https://outlook.office365.com/.default' } });
    const err = new Error(reply?.text ?? 'Authentication unsuccessful') as Error & { responseCode?: number };
    err.responseCode = reply?.code ?? 535;
    return callback(err);
  }
  server.on('error', noop);
  const sockets = new Set<net.Socket>();
  server.server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await listen(server.server, host, opts.port ?? 0);
  return {
    host,
    port,
    caPem: certs.caPem,
    commands: () => [...commands],
    authAttempts: () => attempts.map((a) => ({ ...a })),
    close: () => closeAll(server.server, sockets),
  };
}

