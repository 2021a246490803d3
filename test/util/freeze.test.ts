import { describe, expect, it } from 'vitest';
import { parseSpfShared } from '../../src/spf/parse.js';
import { deepFreeze } from '../../src/util/freeze.js';

describe('process-wide parse caches hand out frozen values', () => {
  it('parseSpfShared: the record, its arrays and its terms cannot be changed by one caller for the next', () => {
    const r = parseSpfShared('v=spf1 include:spf.protection.outlook.com -all');
    expect(Object.isFrozen(r)).toBe(true);
    expect(() => (r.mechanisms as unknown[]).push({})).toThrow(TypeError);
    expect(() => Object.assign(r.mechanisms[0] as object, { name: 'all' })).toThrow(TypeError);
    expect(parseSpfShared('v=spf1 include:spf.protection.outlook.com -all').mechanisms.map((m) => m.name)).toEqual(['include', 'all']);
  });

  it('deepFreeze freezes nested objects and arrays and returns its argument', () => {
    const v = { a: [{ b: 1 }], c: { d: [2] } };
    expect(deepFreeze(v)).toBe(v);
    expect([Object.isFrozen(v.a), Object.isFrozen(v.a[0]), Object.isFrozen(v.c.d)]).toEqual([true, true, true]);
  });
});
