import { Command } from 'commander';
import { cleanText } from '../../report/safe-text.js';
import { explainCode, type CodeExplanation } from '../../smtp/codes.js';
import { renderExplanationsJson, renderExplanationsTable } from '../../report/probe.js';
import { emit, singleChoiceOption, UsageError, useColor } from '../common.js';
import type { CliRun } from '../io.js';
import { describe } from '../command-table.js';

export interface ExplainCliOptions {
  format?: 'table' | 'json';
  output?: string;
  color?: boolean;
}

export function explainCommand(run: CliRun): Command {
  return new Command('explain')
    .description(describe('explain'))
    .argument('<code...>', 'codes, with or without the reply code, a whole NDR line in quotes, or an AADSTS code')
    .addOption(singleChoiceOption('--format <format>', 'output format: table, json', ['table', 'json'], 'table'))
    .option('--output <file>', 'write the result to a file instead of stdout')
    .option('--no-color', 'no colour (also NO_COLOR)')
    .action(async (codes: string[], opts: ExplainCliOptions) => {
      const items = explainInputs(codes);
      const text = opts.format === 'json' ? renderExplanationsJson(items) : renderExplanationsTable(items, { color: useColor(run.io, opts) });
      await emit(run, text, opts);
      run.exitCode = 0;
    });
}

/**
 * Explains each input. `explain 535 5.7.3` (unquoted) arrives as two
 * arguments: a bare reply code followed by an enhanced code is read as one.
 * Throws UsageError naming every input that holds no code at all.
 */
export function explainInputs(inputs: readonly string[]): CodeExplanation[] {
  const merged: string[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const cur = inputs[i] ?? '';
    const next = inputs[i + 1];
    if (/^\s*[2-5]\d\d\s*$/.test(cur) && next !== undefined && /^\s*[245]\.\d{1,3}\.\d{1,3}\b/.test(next)) {
      merged.push(`${cur.trim()} ${next.trim()}`);
      i++;
    } else {
      merged.push(cur);
    }
  }
  const bad: string[] = [];
  const items: CodeExplanation[] = [];
  for (const input of merged) {
    const e = explainCode(input);
    if (e) items.push(e);
    else bad.push(input);
  }
  if (bad.length) throw new UsageError(`not an SMTP code: ${bad.map((b) => JSON.stringify(cleanText(b.slice(0, 80)))).join(', ')} (expected e.g. 535 5.7.3, 5.7.139, 550, AADSTS7000215, or a whole NDR line in quotes)`);
  return items;
}
