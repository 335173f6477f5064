// Reading a large group's members range by range (Active Directory's member;range=0-1499): the ranges a directory
// hands out must move forward, or a directory that repeats one (broken, or hostile) would keep a sync reading, and
// the process's memory growing, for ever.
import type { Client, Entry } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { PRESETS } from './presets.js';
import { DirectoryReadError, readGroups } from './reader.js';

const GROUP = 'cn=big,ou=groups,dc=example,dc=org';
const member = (n: number) => `uid=u${n},ou=people,dc=example,dc=org`;
const members = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => member(from + i));

/** A directory with one group whose members come in ranges: `next(asked)` answers the entry for a range asked for. */
function directory(first: Entry, next: (asked: string) => Entry | null) {
  const asked: string[] = [];
  const client = {
    async *searchPaginated() {
      yield { searchEntries: [first], searchReferences: [] };
    },
    async search(_dn: string, options: { attributes: string[] }) {
      const range = options.attributes[0] as string;
      asked.push(range);
      // A reader that never stops is the bug: stop it here, so the test fails instead of hanging.
      if (asked.length > 100) throw new Error('asked for more than 100 ranges');
      const entry = next(range);
      return { searchEntries: entry ? [entry] : [], searchReferences: [] };
    },
  } as unknown as Client;
  return { client, asked };
}

const settings = {
  usersBaseDn: 'ou=people,dc=example,dc=org',
  usersFilter: '(objectClass=user)',
  groupsBaseDn: 'ou=groups,dc=example,dc=org',
  groupsFilter: '(objectClass=group)',
  mapping: PRESETS.openldap.attributes,
  preset: PRESETS.openldap,
};

describe('readGroups, range by range', () => {
  it('reads every range until the last (*)', async () => {
    const { client, asked } = directory(
      { dn: GROUP, cn: 'big', 'member;range=0-2': members(0, 2) },
      (range): Entry | null => {
        if (range === 'member;range=3-*') return { dn: GROUP, 'member;range=3-5': members(3, 5) };
        if (range === 'member;range=6-*') return { dn: GROUP, 'member;range=6-*': members(6, 7) };
        return null;
      },
    );
    const [group] = await readGroups(client, settings);
    expect(group?.members).toEqual(members(0, 7));
    expect(asked).toEqual(['member;range=3-*', 'member;range=6-*']);
  });

  it('refuses a range that does not start where it was asked, or ends before it starts', async () => {
    for (const answer of ['member;range=0-2', 'member;range=1-4', 'member;range=3-2', 'member;range=4-6']) {
      const { client, asked } = directory({ dn: GROUP, cn: 'big', 'member;range=0-2': members(0, 2) }, () => ({
        dn: GROUP,
        [answer]: members(0, 2),
      }));
      await expect(readGroups(client, settings), answer).rejects.toBeInstanceOf(DirectoryReadError);
      expect(asked, answer).toEqual(['member;range=3-*']);
    }
    // Nor ranges that move on one number at a time with nothing in them.
    const { client, asked } = directory({ dn: GROUP, cn: 'big', 'member;range=0-2': members(0, 2) }, (range) => {
      const from = Number(/range=(\d+)-/.exec(range)?.[1]);
      return { dn: GROUP, [`member;range=${from}-${from}`]: [] };
    });
    await expect(readGroups(client, settings)).rejects.toBeInstanceOf(DirectoryReadError);
    expect(asked).toEqual(['member;range=3-*']);
  });
});
