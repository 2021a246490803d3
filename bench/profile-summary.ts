/**
 * A V8 CPU profile (node --cpu-prof) read into self time by area of the
 * audit (DNS client, SPF, DKIM, DMARC, transport, JSON writing, garbage
 * collection …) and the top self-time functions, for BENCHMARKS.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** What summariseProfile found. */
export interface ProfileSummary {
  totalMs: number;
  areas: { area: string; ms: number }[];
  top: { name: string; ms: number }[];
  text: string;
}

/** Areas by where a function lives, first match wins. */
const AREAS: [string, RegExp][] = [
  ['garbage collection', /^\(garbage collector\)/],
  ['idle (waiting for answers)', /^\(idle\)/],
  ['DNS client: node:dns / c-ares', /node:internal\/dns|node:dns/],
  ['DNS client: m365audit (cache, retries, raw/EDNS0, UDP pool)', /\/src\/dns\/|dns-packet|node:dgram/],
  ['SPF evaluation and analysis', /\/src\/spf\/|ipaddr\.js/],
  ['DKIM (key decoding included)', /\/src\/dkim\/|node:internal\/crypto/],
  ['DMARC walk and checks', /\/src\/dmarc\//],
  ['MTA-STS, TLS-RPT, DNSSEC, DANE', /\/src\/transport\/|\/src\/http\//],
  ['MX, autodiscover, verification (m365)', /\/src\/m365\//],
  ['JSON writing and output', /\/src\/report\/|\/src\/cli\/|node:internal\/streams|node:internal\/fs|writeBuffer|writeUtf8String|node:fs/],
  ['audit and batch orchestration', /\/src\/audit\/|p-limit|yocto-queue/],
  ['native and runtime (program)', /^\(program\)/],
];

function label(f: ProfileNode['callFrame']): string {
  const url = f.url.replace(/^file:\/\//, '').replace(/.*\/(node_modules|dist)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${url}${url ? `:${f.lineNumber + 1}` : ''}`;
}

/** The newest .cpuprofile in `dir`, summarised. */
export function summariseProfile(dir: string): ProfileSummary {
  const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().at(-1);
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i] as number);
    const us = p.timeDeltas[i] ?? 0;
    if (!n) continue;
    total += us;
    const k = label(n.callFrame);
    self.set(k, (self.get(k) ?? 0) + us);
  }
  const areas = new Map<string, number>();
  for (const [k, us] of self) {
    const area = AREAS.find(([, re]) => re.test(k))?.[0] ?? 'other (node internals, libraries)';
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const top = [...self].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000 }));
  const areaList = [...areas].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, ms: us / 1000 }));
  const text = [`${file}: ${(total / 1e6).toFixed(2)} s sampled`, '', 'By area:', ...areaList.map((a) => `${a.ms.toFixed(0).padStart(8)} ms  ${a.area}`), '',
    'Top 40 self-time functions:', ...top.slice(0, 40).map((f) => `${f.ms.toFixed(0).padStart(8)} ms  ${f.name}`), ''].join('\n');
  return { totalMs: total / 1000, areas: areaList, top, text };
}
