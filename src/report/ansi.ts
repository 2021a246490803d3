/** The terminal colours of every renderer, in one table (SGR codes, ECMA-48). Only our own text is painted, never data. */
export const ANSI = { red: '\x1b[31m', yellow: '\x1b[33m', green: '\x1b[32m', cyan: '\x1b[36m', dim: '\x1b[2m', bold: '\x1b[1m', reset: '\x1b[0m' } as const;
export type Paint = Exclude<keyof typeof ANSI, 'reset'>;

/** `s` in a colour when `color` is on (a terminal without NO_COLOR), else as it is. */
export function paint(color: boolean | undefined, code: Paint, s: string): string {
  return color ? `${ANSI[code]}${s}${ANSI.reset}` : s;
}
