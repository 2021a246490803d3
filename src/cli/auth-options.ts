/**
 * The AUTH test's credential options and their reading, for `probe` (and
 * `send-paths`, which shares them): `--auth-user` with a password (AUTH
 * LOGIN), or with `--oauth` a token (AUTH XOAUTH2) from the environment, from
 * stdin, or from the client-credentials grant (`--tenant-id`, `--client-id`,
 * a secret from the environment or a certificate file).
 *
 * Where each secret may come from (never the command line: argv is visible
 * to every user of the machine and kept in shell history):
 *   password       M365AUDIT_SMTP_PASSWORD, or --password-stdin
 *   token          M365AUDIT_OAUTH_TOKEN, or --token-stdin
 *   client secret  M365AUDIT_CLIENT_SECRET only
 *   certificate    --client-cert FILE (PEM; its key there or in --client-key FILE)
 * A bad combination is a usage error: one line, exit 2, no secret in it.
 */
import type { Readable } from 'node:stream';
import { Option, type Command } from 'commander';
import type { Cloud } from '../m365/clouds.js';
import type { ProbeAuth, TrustedCa } from '../smtp/probe.js';
import { createHttpsClient } from '../http/client.js';
import { withTokenDiagnosis, withTokenFailure } from '../smtp/oauth-result.js';
import { acquireToken, MAX_PEM_LENGTH, parseClientCertificate, tokenUrl, type TokenFailure } from '../smtp/token.js';
import type { OAuthTokenSource, ProbeResult } from '../smtp/types.js';
import type { CliRun } from './io.js';
import { readOptionFile } from './read-file.js';
import { UsageError } from './usage.js';

/** The environment variable that carries the AUTH LOGIN password. */
export const PASSWORD_ENV = 'M365AUDIT_SMTP_PASSWORD';
/** The environment variable that carries an OAuth 2.0 access token for XOAUTH2. */
export const TOKEN_ENV = 'M365AUDIT_OAUTH_TOKEN';
/** The environment variable that carries the app's client secret for the grant (there is no flag for it). */
export const CLIENT_SECRET_ENV = 'M365AUDIT_CLIENT_SECRET';

/** Longest secret read from stdin: Entra access tokens run to a few KiB. */
const MAX_STDIN_SECRET = 64 * 1024;
/** Longest certificate or key file read: the grant's own bound on PEM text. */
const MAX_PEM_FILE = MAX_PEM_LENGTH;

/** The credential options as commander gives them. */
export interface AuthCliOptions {
  authUser?: string;
  passwordStdin?: boolean;
  oauth?: boolean;
  tokenStdin?: boolean;
  tenantId?: string;
  clientId?: string;
  clientCert?: string;
  clientKey?: string;
  authority?: string;
  /** Hidden traps: a secret given on the command line (the value is never kept). */
  password?: unknown;
  token?: unknown;
  clientSecret?: unknown;
}

/**
 * A hidden option that catches a secret typed on the command line: its
 * value is dropped at once (commander would echo it in its own errors:
 * `unknown option '--password=…'`), and the action refuses the run.
 * Variadic, so the "given more than once" check (which quotes the value)
 * leaves it alone.
 */
function secretTrap(flags: string): Option {
  return new Option(flags).hideHelp().argParser(() => true);
}

/** Declares the credential options on a command. */
export function addAuthOptions(cmd: Command): Command {
  return cmd
    .option('--auth-user <user>', `test AUTH as this mailbox: AUTH LOGIN with the password from ${PASSWORD_ENV} or --password-stdin, or with --oauth AUTH XOAUTH2 with a token`)
    .option('--password-stdin', 'read the AUTH LOGIN password from stdin')
    .option('--oauth', `test AUTH XOAUTH2 (OAuth 2.0) for --auth-user; the token from ${TOKEN_ENV} or --token-stdin, or the client-credentials grant`)
    .option('--token-stdin', 'read the XOAUTH2 access token from stdin')
    .option('--tenant-id <id>', 'the client-credentials grant: the tenant (GUID or verified domain)')
    .option('--client-id <id>', `the client-credentials grant: the app's client id; the secret from ${CLIENT_SECRET_ENV}, or --client-cert`)
    .option('--client-cert <file>', 'the client-credentials grant: a PEM file with the certificate (and its private key unless --client-key)')
    .option('--client-key <file>', "the client-credentials grant: a PEM file with the certificate's private key")
    .option('--authority <url>', "the client-credentials grant: the token endpoint's https:// origin instead of the cloud's login host")
    .addOption(secretTrap('--password <password...>'))
    .addOption(secretTrap('--token <token...>'))
    .addOption(secretTrap('--client-secret <secret...>'));
}

/** What the grant options ask for, read and checked (files read, secret taken from the environment); no network. */
export interface GrantInput {
  cloud: Cloud;
  tenantId: string;
  clientId: string;
  credential: { kind: 'secret'; secret: string } | { kind: 'certificate'; certPem: string; keyPem: string };
  /** --authority: overrides https://<the cloud's login host>. */
  authority?: string;
}

/** Where the XOAUTH2 token is to come from: given (environment, stdin), or the grant. */
export type OAuthTokenInput = { kind: 'token'; token: string; source: 'env' | 'stdin' } | { kind: 'grant'; grant: GrantInput };

/** What the grant needs beside its input: the CAs trusted for the token endpoint (--tls-ca), its deadline and the clock. */
export interface OAuthContext {
  ca?: TrustedCa | undefined;
  /** The token request's deadline, connect to last byte (default the HTTPS client's, 10 s). */
  timeoutMs?: number | undefined;
  clock?: () => Date;
}

/**
 * Where the XOAUTH2 test stands before the probe: a token in hand (from the
 * environment, stdin or the grant), or the grant's failure (then no AUTH
 * test runs and the result says why: OAUTH_TOKEN_ERROR).
 */
export type OAuthState =
  | { ok: true; token: string; source: OAuthTokenSource; tokenUrl?: string; tenantId?: string }
  | { ok: false; failure: TokenFailure; source: OAuthTokenSource; tokenUrl?: string };

/**
 * The token: as given (environment, stdin), or from the client-credentials
 * grant (src/smtp/token.ts acquireToken against the cloud's login host or
 * --authority, trusting --tls-ca beside the system's roots). A grant whose
 * input cannot be sent (the certificate or key unusable, the tenant or
 * authority malformed) is a UsageError; a grant the endpoint refuses, or
 * that gets no answer, is the failure the result reports.
 */
export async function resolveOAuthToken(input: OAuthTokenInput, ctx: OAuthContext = {}): Promise<OAuthState> {
  if (input.kind === 'token') return { ok: true, token: input.token, source: input.source };
  const { grant } = input;
  const source: OAuthTokenSource = grant.credential.kind;
  const https = createHttpsClient({ ...(ctx.ca !== undefined ? { ca: ctx.ca } : {}), ...(ctx.timeoutMs !== undefined ? { timeoutMs: ctx.timeoutMs } : {}) });
  const r = await acquireToken({ https, ...(ctx.clock ? { clock: ctx.clock } : {}) }, grant);
  if (r.ok) return { ok: true, token: r.accessToken, source, tokenUrl: r.tokenUrl, tenantId: grant.tenantId };
  if (r.error.kind === 'credential' || r.error.kind === 'request') throw new UsageError(oneLine(r.finding.message));
  const url = tokenUrl(grant);
  return { ok: false, failure: r, source, ...(url.ok ? { tokenUrl: url.url } : {}) };
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * The probe's result joined to the XOAUTH2 state: the token's claims
 * decoded and diagnosed against the server's verdict, or the grant's
 * failure. The token itself never enters the result.
 */
export function finishOAuth(result: ProbeResult, state: OAuthState | null, ctx: { cloud: Cloud; now: Date }): ProbeResult {
  if (!state) return result;
  if (!state.ok) return withTokenFailure(result, state.failure, state.source, state.tokenUrl);
  return withTokenDiagnosis(result, state.token, { cloud: ctx.cloud, source: state.source, now: ctx.now, tenantId: state.tenantId, tokenUrl: state.tokenUrl });
}

/** The AUTH test's credentials (null when the grant gave no token: no AUTH test runs), and for XOAUTH2 the token's state. */
export interface ResolvedAuth {
  auth: ProbeAuth | null;
  oauth: OAuthState | null;
}

const GRANT_FLAGS = [
  ['tenantId', '--tenant-id'],
  ['clientId', '--client-id'],
  ['clientCert', '--client-cert'],
  ['clientKey', '--client-key'],
  ['authority', '--authority'],
] as const satisfies readonly (readonly [keyof AuthCliOptions, string])[];

/** Control characters (CR, LF, ^A …) break the SMTP line or the SASL string: never in a token or a secret. */
const CONTROL = /[\x00-\x1f\x7f]/;
/** A user name is shown escaped wherever it appears; only what would break a line or the XOAUTH2 fields (^A) is refused. */
const USER_BREAKS = /[\r\n\x00\x01]/;

const given = (v: string | undefined): v is string => v !== undefined;

/**
 * Reads the credential options: null without --auth-user; else a password
 * (AUTH LOGIN) or, with --oauth, a token (AUTH XOAUTH2). Every bad
 * combination is a UsageError (one line, no secret in it). Reads stdin for
 * --password-stdin or --token-stdin, and the certificate files.
 */
export async function readAuthOptions(run: CliRun, opts: AuthCliOptions, ctx: { cloud: Cloud } & OAuthContext): Promise<ResolvedAuth | null> {
  const read = await checkAuthOptions(run, opts, ctx.cloud);
  return read && (read.kind === 'ready' ? read.resolved : resolvePendingAuth(read, ctx.cloud, ctx));
}

/**
 * What the credential options ask for, checked and read (stdin, files, the
 * environment) with every usage error, but with the client-credentials
 * grant not yet run: `pending` holds it until the cloud is known (send-paths
 * detects the cloud from the domain's DNS; the grant's login host and scope
 * depend on it). A token given, or a password, is `ready`.
 */
export type CheckedAuth = { kind: 'ready'; resolved: ResolvedAuth } | { kind: 'pending'; user: string; grant: GrantInput; cloudGiven: boolean };

/** The credential options checked (see CheckedAuth); null without --auth-user. */
export async function checkAuthOptions(run: CliRun, opts: AuthCliOptions, cloud: Cloud, cloudGiven = true): Promise<CheckedAuth | null> {
  const env = run.io.env;
  for (const [key, flag, where] of [['password', '--password', `${PASSWORD_ENV} or --password-stdin`], ['token', '--token', `${TOKEN_ENV} or --token-stdin`], ['clientSecret', '--client-secret', CLIENT_SECRET_ENV]] as const) {
    if (opts[key] !== undefined) throw new UsageError(`${flag}: secrets are never taken from the command line; use ${where}`);
  }
  const grantFlags = GRANT_FLAGS.filter(([key]) => opts[key] !== undefined).map(([, flag]) => flag);
  if (opts.passwordStdin && opts.tokenStdin) throw new UsageError('--token-stdin cannot be used with --password-stdin: stdin carries one secret');
  if (!opts.oauth) {
    if (opts.tokenStdin) throw new UsageError('--token-stdin needs --oauth');
    if (grantFlags.length > 0) throw new UsageError(`${grantFlags[0]} needs --oauth`);
  }
  if (opts.authUser === undefined) {
    if (opts.oauth) throw new UsageError('--oauth needs --auth-user (the mailbox to send as)');
    if (opts.passwordStdin) throw new UsageError('--password-stdin needs --auth-user');
    return null;
  }
  const user = opts.authUser;
  if (user.trim() === '' || USER_BREAKS.test(user)) throw new UsageError('--auth-user needs a user name');
  if (!opts.oauth) {
    const password = opts.passwordStdin ? await readStdinSecret(run.io.stdin, 'a password') : env[PASSWORD_ENV];
    if (!password) throw new UsageError(`--auth-user needs a password: set ${PASSWORD_ENV} or pass it on stdin with --password-stdin (or use --oauth)`);
    if (/[\r\n]/.test(password)) throw new UsageError('the password must be a single line');
    return { kind: 'ready', resolved: { auth: { user, password }, oauth: null } };
  }
  if (opts.passwordStdin) throw new UsageError('--oauth cannot be used with --password-stdin: XOAUTH2 sends a token, not a password');
  if (env[PASSWORD_ENV] !== undefined) throw new UsageError(`--oauth cannot be used with ${PASSWORD_ENV} set: XOAUTH2 sends a token, not a password (unset it)`);
  const input = await tokenInput(run, opts, grantFlags, cloud);
  if (input.kind === 'grant') return { kind: 'pending', user, grant: input.grant, cloudGiven };
  const state = await resolveOAuthToken(input);
  return { kind: 'ready', resolved: { auth: state.ok ? { mechanism: 'XOAUTH2', user, token: state.token } : null, oauth: state } };
}

/** Runs a pending grant, for `cloud` unless the cloud was given on the command line (--cloud wins). */
export async function resolvePendingAuth(pending: Extract<CheckedAuth, { kind: 'pending' }>, cloud: Cloud, ctx: OAuthContext = {}): Promise<ResolvedAuth> {
  const grant = pending.cloudGiven ? pending.grant : { ...pending.grant, cloud };
  const state = await resolveOAuthToken({ kind: 'grant', grant }, ctx);
  return { auth: state.ok ? { mechanism: 'XOAUTH2', user: pending.user, token: state.token } : null, oauth: state };
}

/** The token given (environment, stdin), or the grant's input; usage errors for what does not fit. */
async function tokenInput(run: CliRun, opts: AuthCliOptions, grantFlags: readonly string[], cloud: Cloud): Promise<OAuthTokenInput> {
  const env = run.io.env;
  const fromEnv = env[TOKEN_ENV];
  if (opts.tokenStdin || fromEnv !== undefined) {
    const what = opts.tokenStdin ? '--token-stdin' : TOKEN_ENV;
    if (grantFlags.length > 0) throw new UsageError(`${what} cannot be used with ${grantFlags[0]}: give a token or the grant options, not both`);
    if (opts.tokenStdin && fromEnv !== undefined) throw new UsageError(`--token-stdin cannot be used with ${TOKEN_ENV} set: give one token`);
    const token = opts.tokenStdin ? await readStdinSecret(run.io.stdin, 'a token') : (fromEnv ?? '');
    // The same bound wherever the token comes from (Entra's access tokens run to a few KiB).
    if (token.length > MAX_STDIN_SECRET) throw new UsageError(`${what}: the token is longer than ${MAX_STDIN_SECRET / 1024} KiB`);
    checkToken(token, what);
    return { kind: 'token', token, source: opts.tokenStdin ? 'stdin' : 'env' };
  }
  if (grantFlags.length === 0) {
    throw new UsageError(`--oauth needs a token: set ${TOKEN_ENV}, pass it on stdin with --token-stdin, or give --tenant-id and --client-id for the client-credentials grant`);
  }
  return { kind: 'grant', grant: await grantInput(env, opts, cloud) };
}

/** A token is one line of printable characters, not empty. */
function checkToken(token: string, what: string): void {
  if (token.trim() === '') throw new UsageError(`${what}: the token is empty`);
  if (CONTROL.test(token)) throw new UsageError(`${what}: the token must be a single line (no CR, LF or other control characters)`);
}

/** The grant options checked and their files and secret read. */
async function grantInput(env: Readonly<Record<string, string | undefined>>, opts: AuthCliOptions, cloud: Cloud): Promise<GrantInput> {
  if (given(opts.clientKey) && !given(opts.clientCert)) throw new UsageError('--client-key needs --client-cert');
  if (given(opts.clientCert) && !given(opts.clientId)) throw new UsageError('--client-cert needs --client-id');
  if (given(opts.clientId) && !given(opts.tenantId)) throw new UsageError('--client-id needs --tenant-id');
  if (given(opts.tenantId) && !given(opts.clientId)) throw new UsageError('--tenant-id needs --client-id');
  if (given(opts.authority) && (!given(opts.tenantId) || !given(opts.clientId))) throw new UsageError('--authority needs --tenant-id and --client-id');
  const tenantId = opts.tenantId ?? '';
  const clientId = opts.clientId ?? '';
  // The grant must name the tenant: /common fails for client credentials (AADSTS9001023; research oauth.md §5).
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(tenantId) || ['common', 'organizations', 'consumers'].includes(tenantId.toLowerCase())) {
    throw new UsageError('--tenant-id must be the tenant GUID or a verified domain (not common, organizations or consumers)');
  }
  if (!/^[A-Za-z0-9-]{1,64}$/.test(clientId)) throw new UsageError('--client-id must be the application (client) id');
  const authority = given(opts.authority) ? parseAuthority(opts.authority) : undefined;
  const secret = env[CLIENT_SECRET_ENV];
  let credential: GrantInput['credential'];
  if (given(opts.clientCert)) {
    if (secret !== undefined) throw new UsageError(`--client-cert cannot be used with ${CLIENT_SECRET_ENV} set: give one credential`);
    credential = await readCertificate(opts.clientCert, opts.clientKey);
  } else {
    if (secret === undefined) throw new UsageError(`--client-id needs a credential: set ${CLIENT_SECRET_ENV} or give --client-cert FILE`);
    if (secret === '' || CONTROL.test(secret)) throw new UsageError(`${CLIENT_SECRET_ENV} must be a single line, not empty`);
    credential = { kind: 'secret', secret };
  }
  return { cloud, tenantId, clientId, credential, ...(authority ? { authority } : {}) };
}

/** --authority: an https:// origin (a path is allowed, no query, no credentials). */
function parseAuthority(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError('--authority must be an https:// URL');
  }
  if (url.protocol !== 'https:') throw new UsageError('--authority must be an https:// URL');
  if (url.username || url.password || url.search || url.hash) throw new UsageError('--authority must be an https:// URL without credentials, query or fragment');
  return url.href.replace(/\/+$/, '');
}

/**
 * The certificate and its private key, PEM, from --client-cert (and
 * --client-key): checked with the grant's own reader (src/smtp/token.ts
 * parseClientCertificate: a chain is fine, the certificate the key belongs
 * to is used), so that a credential the grant cannot sign with is a usage
 * error before any request.
 */
async function readCertificate(certFile: string, keyFile: string | undefined): Promise<{ kind: 'certificate'; certPem: string; keyPem: string }> {
  const certPem = await readOptionFile(certFile, { flag: '--client-cert', maxBytes: MAX_PEM_FILE });
  const keyPem = keyFile === undefined ? certPem : await readOptionFile(keyFile, { flag: '--client-key', maxBytes: MAX_PEM_FILE });
  const parsed = parseClientCertificate(certPem, keyPem);
  if (!parsed.ok) {
    const where = parsed.problem === 'no-certificate' || parsed.problem === 'unparsable' || keyFile === undefined ? `--client-cert ${certFile}` : `--client-key ${keyFile}`;
    const hint = parsed.problem === 'no-key' && keyFile === undefined ? ' (give it with --client-key FILE)' : parsed.problem === 'encrypted-key' ? '; give it unencrypted' : '';
    throw new UsageError(`${where}: ${parsed.message}${hint}`);
  }
  return { kind: 'certificate', certPem, keyPem };
}

/** The whole of stdin, less one trailing newline (as `echo` and here-strings add it). */
export async function readStdinSecret(stdin: Readable, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_STDIN_SECRET) throw new UsageError(`stdin is too long for ${what}`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
