/**
 * MTA-STS policy files beside a sandbox's zone files, for `m365audit
 * sandbox` and `m365audit demo`: the folder `<zones>/mta-sts/` holds one
 * file per domain, `<domain>.txt`, whose text the policy host
 * (startMtaStsHost) serves as `https://mta-sts.<domain>/.well-known/mta-sts.txt`
 * (RFC 8461 §3.3) with HTTP 200, `text/plain` and a certificate for
 * `mta-sts.<domain>` issued at run time. The file is served as written, so a
 * policy that does not parse, or one beyond the 64 KiB a fetch reads, can be
 * rehearsed too; the faults of the transport (redirects, refusals, wrong
 * certificates) are startMtaStsHost's options, for tests.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MtaStsPolicySpec } from './https-server.js';

/** The folder of policy files inside a zones folder. */
export const MTA_STS_POLICY_FOLDER = 'mta-sts';
/** A policy file's suffix: `<domain>.txt`. */
const POLICY_SUFFIX = '.txt';
/** Largest policy file read (a fetch reads 64 KiB, RFC 8461 §3.3; more is served only to rehearse the cap). */
export const MAX_POLICY_FILE_BYTES = 1024 * 1024;
/** One DNS label of a host name (RFC 1123 §2.1): letters, digits, inner hyphens, at most 63. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A policy folder that cannot be served: the message names the file and why. */
export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
}

/** The policies of a folder (readMtaStsPolicies): by domain, and the domains in name order. */
export interface MtaStsPolicyFiles {
  /** The folder read: `<zones>/mta-sts`. */
  folder: string;
  /** For startMtaStsHost: each domain's file, served with status 200 and `text/plain`. */
  policies: Record<string, MtaStsPolicySpec>;
  domains: string[];
}

/**
 * The policy files of `<zonesDir>/mta-sts/` (see the module comment), or
 * null when there is no such folder or it holds no `.txt` file. Throws a
 * PolicyFileError for a `.txt` file whose name is not a domain name (at
 * least two labels), a second file for one domain (`A.test.txt` beside
 * `a.test.txt`), a file larger than MAX_POLICY_FILE_BYTES, or one that
 * cannot be read; other files in the folder are left alone.
 */
export function readMtaStsPolicies(zonesDir: string): MtaStsPolicyFiles | null {
  const folder = join(zonesDir, MTA_STS_POLICY_FOLDER);
  let names: string[];
  try {
    if (!statSync(folder).isDirectory()) throw new PolicyFileError(`${folder}: not a folder (policy files go in ${folder}/<domain>${POLICY_SUFFIX})`);
    names = readdirSync(folder).filter((f) => f.endsWith(POLICY_SUFFIX)).sort();
  } catch (err) {
    if (err instanceof PolicyFileError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PolicyFileError(`cannot read ${folder}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const policies: Record<string, MtaStsPolicySpec> = Object.create(null) as Record<string, MtaStsPolicySpec>;
  const domains: string[] = [];
  for (const name of names) {
    const file = join(folder, name);
    const domain = name.slice(0, -POLICY_SUFFIX.length).toLowerCase();
    if (!isDomainName(domain)) throw new PolicyFileError(`${file}: not a domain name (a policy file is named <domain>${POLICY_SUFFIX}, e.g. contoso.com${POLICY_SUFFIX})`);
    if (policies[domain]) throw new PolicyFileError(`${file}: a second policy file for ${domain} (names are not case-sensitive)`);
    let body: Buffer;
    try {
      const size = statSync(file).size;
      if (size > MAX_POLICY_FILE_BYTES) throw new PolicyFileError(`${file}: ${size} bytes, more than the ${MAX_POLICY_FILE_BYTES} a policy file may have here`);
      body = readFileSync(file);
    } catch (err) {
      if (err instanceof PolicyFileError) throw err;
      throw new PolicyFileError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    policies[domain] = { body };
    domains.push(domain);
  }
  return domains.length === 0 ? null : { folder, policies, domains: domains.sort() };
}

/** At most 253 characters of two or more host-name labels (A-labels for IDNs: `xn--bcher-kva.example`). */
function isDomainName(name: string): boolean {
  if (name.length > 253) return false;
  const labels = name.split('.');
  return labels.length >= 2 && labels.every((l) => LABEL.test(l));
}
