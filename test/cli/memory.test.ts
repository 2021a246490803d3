import { describe, expect, it } from 'vitest';
import { BATCH_V8_FLAGS, tuneCompilerForBatch } from '../../src/cli/memory.js';

describe('tuneCompilerForBatch', () => {
  it('raises the TurboFan budget on V8 11 (Node 20), where it was measured', () => {
    const set: string[] = [];
    expect(tuneCompilerForBatch('11.3.244.8-node.33', (f) => set.push(f))).toBe(true);
    expect(set).toEqual(['--interrupt-budget=2162688']);
  });

  it('leaves later V8s alone: their flag is named differently and an unknown one prints an error', () => {
    const set: string[] = [];
    for (const v of ['12.4.254.21-node.24', '13.6.233.10-node.18', '10.2.154.26-node.26', '1.0', undefined]) expect(tuneCompilerForBatch(v, (f) => set.push(f))).toBe(false);
    expect(set).toEqual([]);
  });

  it('reports false when V8 refuses a flag', () => {
    expect(tuneCompilerForBatch('11.3.244.8', () => {
      throw new Error('refused');
    })).toBe(false);
  });

  it('lists only flags V8 parses as --name=value or --name', () => {
    for (const f of BATCH_V8_FLAGS) expect(f).toMatch(/^--[a-z][a-z-]*(=\d+)?$/);
  });
});
