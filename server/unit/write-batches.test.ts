import { describe, expect, it } from 'vitest';
import { WriteBatches } from '../services/write-batches.js';

describe('WriteBatches', () => {
  it('writes a lone item at once and the items that queue behind it together', async () => {
    const writes: number[][] = [];
    let release: () => void = () => {};
    const batches = new WriteBatches<number, string>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((item) => `#${item}`);
    });
    const first = batches.submit(1);
    expect(writes).toEqual([[1]]);
    const rest = [2, 3, 4].map((n) => batches.submit(n));
    release();
    expect(await Promise.all([first, ...rest])).toEqual(['#1', '#2', '#3', '#4']);
    expect(writes).toEqual([[1], [2, 3, 4]]);
  });

  it('writes each item of a failed batch again alone, so each gets its own answer', async () => {
    const writes: number[][] = [];
    let release: () => void = () => {};
    const batches = new WriteBatches<number, number>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      if (items.includes(13)) throw new Error(`refused ${items.join(',')}`);
      return items.map((item) => item * 2);
    });
    const first = batches.submit(1);
    const rest = [12, 13, 14].map((n) => batches.submit(n).catch((error: Error) => error.message));
    release();
    expect(await Promise.all([first, ...rest])).toEqual([2, 24, 'refused 13', 28]);
    expect(writes).toEqual([[1], [12, 13, 14], [12], [13], [14]]);
  });

  it('keeps batches to the largest size it was given', async () => {
    const sizes: number[] = [];
    let release: () => void = () => {};
    const batches = new WriteBatches<number, number>(async (items) => {
      sizes.push(items.length);
      if (sizes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items;
    }, 3);
    const all = Array.from({ length: 8 }, (_, i) => batches.submit(i));
    release();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(sizes).toEqual([1, 3, 3, 1]);
  });
});
