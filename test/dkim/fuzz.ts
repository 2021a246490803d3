import fc from 'fast-check';

/**
 * Shared generators for the DKIM and DMARC property tests: random text
 * (Unicode, binary, and the characters tag-lists are made of) and real
 * records mutated a few times (insert, delete, replace, duplicate or swap a
 * segment, truncate, flip case). The seed is fixed so failures repeat.
 */
export const SEED = 20251126;
export const RUNS = 1000;

const TAG_CHARS = [...';=:,!@. \t\r\n-_/+%*vpkhstngDKIMARC1yrue0'];

export function text(maxLength = 300): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.constantFrom(...TAG_CHARS), maxLength }),
  );
}

type Op =
  | { kind: 'insert'; at: number; s: string }
  | { kind: 'delete'; at: number; n: number }
  | { kind: 'replace'; at: number; s: string }
  | { kind: 'dup'; at: number }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'case'; at: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), s: text(12) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.nat({ max: 40 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), s: fc.constantFrom(...TAG_CHARS, '\u0000', '\u00ff', '\u202e', '"') }),
  fc.record({ kind: fc.constant('dup' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('case' as const), at: fc.nat() }),
);

function apply(s: string, o: Op): string {
  const at = (n: number): number => (s.length === 0 ? 0 : n % (s.length + 1));
  const segments = s.split(';');
  const seg = (n: number): number => n % segments.length;
  switch (o.kind) {
    case 'insert':
      return s.slice(0, at(o.at)) + o.s + s.slice(at(o.at));
    case 'delete':
      return s.slice(0, at(o.at)) + s.slice(at(o.at) + o.n);
    case 'replace':
      return s.slice(0, at(o.at)) + o.s + s.slice(at(o.at) + 1);
    case 'dup': {
      const i = seg(o.at);
      return [...segments.slice(0, i + 1), segments[i] as string, ...segments.slice(i + 1)].join(';');
    }
    case 'swap': {
      const out = [...segments];
      const [a, b] = [seg(o.a), seg(o.b)];
      [out[a], out[b]] = [out[b] as string, out[a] as string];
      return out.join(';');
    }
    case 'truncate':
      return s.slice(0, at(o.at));
    case 'case': {
      const i = at(o.at);
      const c = s.charAt(i);
      return s.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + s.slice(i + 1);
    }
  }
}

/** A real record from `bases` with up to six mutations applied. */
export function mutated(bases: readonly string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...bases), fc.array(op, { maxLength: 6 })).map(([base, ops]) => ops.reduce(apply, base));
}
