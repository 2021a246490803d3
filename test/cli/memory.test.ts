import { describe, expect, it } from 'vitest';
import { BATCH_V8_FLAGS, createGcHint, GC_GROWTH_MIB, collectableBytes, tuneCompilerForBatch } from '../../src/cli/memory.js';

describe('tuneCompilerForBatch', () => {
  it('raises the TurboFan budget on V8 11 (Node 20), where it was measured', () => {
    const set: string[] = [];
    expect(tuneCompilerForBatch('11.3.244.8-node.33', (f) => set.push(f))).toBe(true);
    expect(set).toEqual(['--interrupt-budget=2162688']);
  });

  it('leaves other V8s alone (Node 21\'s 11.8 included): not measured there, and later ones name the flag differently', () => {
    const set: string[] = [];
    for (const v of ['12.4.254.21-node.24', '13.6.233.10-node.18', '11.8.172.17-node.19', '10.2.154.26-node.26', '1.0', undefined]) expect(tuneCompilerForBatch(v, (f) => set.push(f))).toBe(false);
    expect(set).toEqual([]);
  });

  it('lists only flags V8 parses as --name=value or --name', () => {
    for (const f of BATCH_V8_FLAGS) expect(f).toMatch(/^--[a-z][a-z-]*(=\d+)?$/);
  });
});

describe('createGcHint', () => {
  const MiB = 2 ** 20;
  it('collects once the old generation has grown by GC_GROWTH_MIB since the last collection, looking every 25 rows', () => {
    const grow = GC_GROWTH_MIB * MiB;
    let heap = 30 * MiB;
    const collected: number[] = [];
    const hint = createGcHint(GC_GROWTH_MIB, () => heap, () => {
      collected.push(heap);
      heap = 31 * MiB; // what survives
    });
    expect(hint).not.toBeNull();
    heap = 30 * MiB + grow - 1;
    for (let row = 1; row <= 100; row++) hint?.(row);
    expect(collected).toEqual([]);
    heap = 30 * MiB + grow;
    hint?.(101); // not a look
    expect(collected).toEqual([]);
    hint?.(125);
    expect(collected).toEqual([30 * MiB + grow]);
    // Counted from what survived (31 MiB), not from where it started.
    heap = 31 * MiB + grow - 1;
    hint?.(150);
    expect(collected).toHaveLength(1);
    heap = 31 * MiB + grow;
    hint?.(175);
    expect(collected).toEqual([30 * MiB + grow, 31 * MiB + grow]);
  });

  it('rows that leave nothing behind are never collected', () => {
    let calls = 0;
    const hint = createGcHint(GC_GROWTH_MIB, () => 100 * MiB, () => void calls++);
    for (let row = 1; row <= 200_000; row++) hint?.(row);
    expect(calls).toBe(0);
  });

  it('counts Buffers outside the heap, which only a full collection of their owners frees', () => {
    const start = collectableBytes();
    expect(start).toBeGreaterThan(MiB);
    const buffer = Buffer.alloc(32 * MiB, 1);
    // Half is enough to tell: uncounted, it would add nothing (V8 may collect other garbage in between).
    expect(collectableBytes() - start).toBeGreaterThan(16 * MiB);
    expect(buffer.length).toBe(32 * MiB);
  });
});
