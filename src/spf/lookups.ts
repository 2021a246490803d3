import type { AuditContext } from '../audit/context.js';
import { lookupSpfTree } from './analyze.js';
import { parseSpfShared } from './parse.js';

/**
 * DNS-querying terms (RFC 7208 4.6.4) in the include tree of a record that
 * is not published yet, as if `domain` published it. Null when the record
 * does not parse or a lookup failed, so that no count is guessed. Past the
 * limit the walk stops, so a count over 10 may be a lower bound.
 */
export async function countSpfLookups(ctx: AuditContext, domain: string, record: string): Promise<number | null> {
  if (parseSpfShared(record).errors.length > 0) return null;
  const tree = await lookupSpfTree(ctx.dns, domain, record);
  return tree.tempfails.some((q) => q.type === 'TXT') ? null : tree.lookups;
}
