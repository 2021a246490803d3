// A module-resolution hook for spawned smoke tests: appends every project
// module the process loads (under dist/) and every package to the file named by
// M365AUDIT_LOADS. Registered with `node --import ./record-loads.mjs`.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { appendFileSync } from 'node:fs';
const out = process.env.M365AUDIT_LOADS;
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (out && r.url.startsWith('file:')) appendFileSync(out, r.url + '\\n');
  return r;
}`),
);
