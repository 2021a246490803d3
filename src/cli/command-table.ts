/**
 * Every command's name and one-line description (the help's command list and
 * each command's own --help): light, so `--help` loads no command.
 */
export const DESCRIPTIONS = {
  check: 'audit one or more domains for Microsoft 365',
  batch: 'audit a list of domains: one a line, or a CSV with a domain column (and optionally tenant); - reads stdin',
  spf: 'RFC 7208 check_host() for a client address, with the include tree, lookup counts and the Microsoft 365 SPF checks',
  probe: "check SMTP submission: TCP, banner, EHLO, STARTTLS, TLS version and certificate, AUTH mechanisms (default: the cloud's submission host, port 587)",
  explain: 'explain SMTP/NDR codes such as "535 5.7.3", 5.7.139 or 550-5.7.1, and Entra AADSTS codes such as AADSTS7000215: meaning, likely cause, fix',
  report: 're-render a saved run (--format json or jsonl output) without querying DNS again; several files (the shards of one batch) are merged back into input order',
  diff: 'what changed between two saved runs: grades and scores, findings resolved and new, records changed, domains added and removed',
  plan: 'the records to publish for Microsoft 365, each marked present, change or add against live DNS',
  message: 'why a message bounced or landed in Junk: read a message, its headers or an NDR (file or stdin), check it against today\'s DNS (SPF, DKIM, DMARC) and explain Microsoft 365\'s verdict; the body is never shown or stored',
  'send-paths': 'SMTP AUTH submission, direct send and connector relay side by side: each works, blocked or unknown, with the reasons',
  demo: 'the whole check offline: bundled zones on a loopback DNS server, and a loopback SMTP endpoint that speaks like Microsoft 365',
  sandbox: "serve a folder of zone files on a loopback DNS server (with Microsoft's stand-in zones; its mta-sts/<domain>.txt policies on a loopback HTTPS host; --smtp: and a Microsoft-like SMTP endpoint), to rehearse a migration; Ctrl-C stops it",
} as const satisfies Record<string, string>;

export type CommandName = keyof typeof DESCRIPTIONS;

/** The description of a command, from the one table. */
export function describe(name: CommandName): string {
  return DESCRIPTIONS[name];
}
