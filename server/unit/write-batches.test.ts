import { once } from 'node:events';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WriteBatches } from '../services/write-batches.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WriteBatches', () => {
  it('writes a lone item on the next turn and the items that queue behind it together', async () => {
    const writes: number[][] = [];
    let release: () => void = () => {};
    const batches = new WriteBatches<number, string>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((item) => `#${item}`);
    });
    const first = batches.submit(1);
    expect(writes).toEqual([]);
    await nextTurn();
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
    await nextTurn();
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
    const first = batches.submit(0);
    await nextTurn();
    const all = [first, ...Array.from({ length: 7 }, (_, i) => batches.submit(i + 1))];
    release();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(sizes).toEqual([1, 3, 3, 1]);
  });

  it('writes together the items of requests that came in the same turn, even when a write never yields', async () => {
    // As a SQLite transaction does: the write runs to its end without giving the event loop a turn, so requests
    // can only queue behind one if it waits for the turn in which their bytes came to end.
    const sizes: number[] = [];
    const batches = new WriteBatches<string, string>((items) => {
      sizes.push(items.length);
      return Promise.resolve(items.map((item) => item.toUpperCase()));
    });
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => void batches.submit(body).then((written) => res.end(written)));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    // Connections kept open, as an identity provider keeps them: the second round's requests go out at once.
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const post = (body: string) =>
      new Promise<string>((resolve, reject) => {
        const req = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/', agent }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const names = ['ana', 'bo', 'chen', 'dara', 'eli', 'fay', 'gus', 'hana'];
      await Promise.all(names.map((name) => post(`first ${name}`)));
      sizes.length = 0;
      expect(await Promise.all(names.map(post))).toEqual(names.map((name) => name.toUpperCase()));
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(8);
      expect(sizes.length).toBeLessThan(8);
    } finally {
      agent.destroy();
      server.close();
    }
  });
});
