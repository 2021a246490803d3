/**
 * Reads the public API of m365audit with the TypeScript compiler: the names
 * each package entry exports, their kind, the declaration each name resolves
 * to (re-exports and aliases followed) and its TSDoc comment. Used by
 * test/api/public-api.test.ts.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The package entries (package.json "exports") and the source module behind each. */
export const ENTRIES = [
  { entry: 'm365audit', file: 'src/index.ts' },
  { entry: 'm365audit/sandbox', file: 'src/sandbox/index.ts' },
] as const;

/** One exported name of one entry. */
export interface PublicName {
  entry: string;
  name: string;
  /** `function`, `const`, `let`, `class`, `type` (interfaces and type aliases), `enum`, `namespace`. */
  kind: string;
  /** Where the name is declared, `src/…/file.ts:line`, after following re-exports. */
  where: string;
  /** The declarations that need a TSDoc comment and have none (as `where`); empty when documented. */
  undocumented: string[];
  /** A function's first parameter's type as written (`LookupContext`), or null (not a function, or no parameter). */
  firstParameter: string | null;
}

/** The TSDoc comment of a declaration as TypeScript attaches it: the last non-empty `/** … *\/` right before it. */
export function tsDocOf(decl: ts.Node): string | null {
  // A variable's comment sits before its statement.
  const node = ts.isVariableDeclaration(decl) && ts.isVariableStatement(decl.parent.parent) ? decl.parent.parent : decl;
  const source = node.getSourceFile().text;
  const ranges = (ts.getLeadingCommentRanges(source, node.getFullStart()) ?? []).filter(
    (r) => r.kind === ts.SyntaxKind.MultiLineCommentTrivia && source.startsWith('/**', r.pos) && !source.startsWith('/**/', r.pos),
  );
  const last = ranges[ranges.length - 1];
  if (last === undefined) return null;
  const text = source.slice(last.pos + 3, last.end - 2).replace(/^[ \t]*\* ?/gm, '').trim();
  return text === '' ? null : text;
}

function kindOf(decl: ts.Declaration): string {
  if (ts.isFunctionDeclaration(decl)) return 'function';
  if (ts.isClassDeclaration(decl)) return 'class';
  if (ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl)) return 'type';
  if (ts.isEnumDeclaration(decl)) return 'enum';
  if (ts.isModuleDeclaration(decl)) return 'namespace';
  if (ts.isVariableDeclaration(decl)) return (decl.parent.flags & ts.NodeFlags.Const) !== 0 ? 'const' : 'let';
  return ts.SyntaxKind[decl.kind];
}

function whereOf(decl: ts.Node): string {
  const sf = decl.getSourceFile();
  const line = sf.getLineAndCharacterOfPosition(decl.getStart()).line + 1;
  return `${path.relative(ROOT, sf.fileName).split(path.sep).join('/')}:${line}`;
}

/** Declarations that need their own comment: for an overloaded function, each overload signature (not the implementation). */
function needingDocs(decls: readonly ts.Declaration[]): ts.Declaration[] {
  const overloads = decls.filter((d) => ts.isFunctionDeclaration(d) && d.body === undefined);
  return overloads.length > 0 ? overloads : [...decls];
}

/** A program of the two entries, with the project's compiler options (tsconfig.json). */
export function createApiProgram(): ts.Program {
  const configPath = path.join(ROOT, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (config === undefined) throw new Error(`cannot read ${configPath}`);
  return ts.createProgram({ rootNames: ENTRIES.map((e) => path.join(ROOT, e.file)), options: { ...config.options, noEmit: true } });
}

/** Every exported name of every entry, by entry (in ENTRIES order) then name. */
export function readPublicApi(program: ts.Program = createApiProgram()): PublicName[] {
  const checker = program.getTypeChecker();
  const names: PublicName[] = [];
  for (const { entry, file } of ENTRIES) {
    const source = program.getSourceFile(path.join(ROOT, file));
    if (source === undefined) throw new Error(`${file} is not in the program`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    if (moduleSymbol === undefined) throw new Error(`${file} is not a module`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const decls = symbol.declarations ?? [];
      const first = decls[0];
      if (first === undefined) throw new Error(`${entry}: ${exported.name} has no declaration`);
      const param = ts.isFunctionDeclaration(first) ? first.parameters[0] : undefined;
      names.push({
        entry,
        name: exported.name,
        kind: kindOf(first),
        where: whereOf(first),
        undocumented: needingDocs(decls).filter((d) => tsDocOf(d) === null).map(whereOf),
        firstParameter: param?.type ? param.type.getText() : null,
      });
    }
  }
  const order: string[] = ENTRIES.map((e) => e.entry);
  return names.sort((a, b) => order.indexOf(a.entry) - order.indexOf(b.entry) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The listing committed as test/api/public-api.txt: per entry a `# entry` line, then `kind name` lines sorted by name. */
export function formatPublicApi(names: readonly PublicName[]): string {
  const lines: string[] = [];
  for (const { entry } of ENTRIES) {
    lines.push(`# ${entry}`);
    for (const n of names) if (n.entry === entry) lines.push(`${n.kind} ${n.name}`);
  }
  return `${lines.join('\n')}\n`;
}
