// The sync's pure parts: DN comparison, AD's GUIDs and flags, and the plan's rules for one user.
import { describe, expect, it } from 'vitest';
import { type LinkedUser, PLAN_SLICE, planGroups, planGroupsSliced, planUsers, planUsersSliced } from './plan.js';
import { PRESETS } from './presets.js';
import { changedSinceFilter, type DirectoryUser, dnKey, guidText } from './reader.js';

const AD = PRESETS.active_directory;

const entry = (over: Partial<DirectoryUser> = {}): DirectoryUser => ({
  dn: 'CN=Ana García\\, Jr.,OU=People,DC=example,DC=org',
  externalId: 'guid-1',
  username: 'Ana.Garcia',
  firstName: 'Ana',
  lastName: 'García, Jr.',
  email: 'ana@example.org',
  phone: null,
  department: 'Ventas',
  memberOf: [],
  disabled: false,
  mustChangePassword: false,
  changed: '100',
  ...over,
});

const linked = (over: Partial<LinkedUser> = {}): LinkedUser => ({
  userId: 7,
  externalId: 'guid-1',
  dn: 'CN=Ana García\\, Jr.,OU=People,DC=example,DC=org',
  disabledBySync: false,
  username: 'ana.garcia',
  first_name: 'Ana',
  last_name: 'García, Jr.',
  email: 'ana@example.org',
  phone: '',
  department: 'Ventas',
  enabled: 1,
  sync_enabled: 1,
  required_actions: '[]',
  ...over,
});

const plan = (entries: DirectoryUser[], users: LinkedUser[] = [], usernames = new Map<string, number>()) =>
  planUsers({ mapping: AD.attributes, missingUsers: 'disable', entries, present: null, linked: users, usernames });

describe('directory sync rules', () => {
  it('compares DNs whatever their escaping, case and spacing', () => {
    expect(dnKey('cn=Ana García\\2C Jr.,ou=people,dc=example,dc=org')).toBe(
      dnKey('CN=Ana García\\, Jr., OU=People, DC=example, DC=org'),
    );
    expect(dnKey('cn=Z\\C3\\B6e,dc=x')).toBe(dnKey('cn=zöe,dc=x'));
    expect(dnKey('cn=a\\,b,dc=x')).not.toBe(dnKey('cn=a,b=,dc=x'));
  });

  it('gives a DN without escapes the key of the same DN with its characters escaped', () => {
    // The first kind is split and keyed directly, the others read character by character (hex escapes) or keyed
    // with their escapes undone (a backslash before a character): all must agree.
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const letters = [
      'a',
      'Z',
      'é',
      'ø',
      'ß',
      'Ł',
      'ö',
      '1',
      '-',
      '.',
      ' ',
      '"',
      '<',
      '>',
      '=',
      '#',
      '李',
      'Я',
      'Σ',
      "'",
      '.',
    ];
    const value = () =>
      Array.from({ length: 1 + Math.floor(next() * 8) }, () => letters[Math.floor(next() * letters.length)]).join('');
    const hex = (text: string) =>
      [...Buffer.from(text, 'utf8')].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
    for (let i = 0; i < 500; i++) {
      const rdns = Array.from({ length: 1 + Math.floor(next() * 5) }, () => [next() < 0.5 ? 'cn' : ' OU ', value()]);
      const separators = rdns.map(() => [',', ', ', ';', '+'][Math.floor(next() * 4)] as string);
      const plain = rdns.map(([type, v], j) => `${type}=${v}${j < rdns.length - 1 ? separators[j] : ''}`).join('');
      const escaped = rdns
        .map(([type, v], j) => `${type}=${hex(v as string)}${j < rdns.length - 1 ? separators[j] : ''}`)
        .join('');
      expect(dnKey(escaped), plain).toBe(dnKey(plain));
      // A backslash before each character but spaces (an escaped space at either end is kept) and hex digits (which
      // would read as a hex escape with the next one).
      const backslash = (text: string) => [...text].map((c) => (/[ 0-9a-fA-F]/.test(c) ? c : `\\${c}`)).join('');
      const backslashed = rdns
        .map(([type, v], j) => `${type}=${backslash(v as string)}${j < rdns.length - 1 ? separators[j] : ''}`)
        .join('');
      expect(dnKey(backslashed), plain).toBe(dnKey(plain));
    }
  });

  it('keys a DN written one way but for case as the same DN spaced out and escaped', () => {
    // A DN with nothing to unescape, escape or trim is only lowercased; spaces after its separators or an escaped
    // character send it the long way, which must agree.
    let seed = 11;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const letters = ['a', 'Z', 'é', 'Ø', 'ß', 'Ł', 'İ', 'Σ', 'ς', '李', 'Я', 'ǅ', '1', '-', '.', ' ', '#', "'", '_'];
    const value = () => {
      const text = Array.from(
        { length: 1 + Math.floor(next() * 8) },
        () => letters[Math.floor(next() * letters.length)],
      );
      return text.join('').trim() || 'x';
    };
    for (let i = 0; i < 1000; i++) {
      const rdns = Array.from({ length: 1 + Math.floor(next() * 5) }, () => [next() < 0.5 ? 'cn' : 'OU', value()]);
      const plain = rdns.map(([type, v]) => `${type}=${v}`).join(',');
      expect(dnKey(plain), plain).toBe(plain.toLowerCase());
      const spaced = rdns.map(([type, v]) => `${type} = ${v}`).join(' , ');
      expect(dnKey(spaced), spaced).toBe(dnKey(plain));
      // A backslash before the value's first character (not a hex digit: that would read as a hex escape).
      const escaped = rdns.map(([type, v]) => `${type}=${/^[0-9a-f]/i.test(v as string) ? '' : '\\'}${v}`).join(',');
      expect(dnKey(escaped), escaped).toBe(dnKey(plain));
    }
    // Not one = to each RDN: the long way, as before.
    expect(dnKey('cn=a=b,dc=x')).toBe('cn=a\\=b,dc=x');
  });

  it("reads Active Directory's objectGUID as text and asks for changes after the last uSNChanged", () => {
    const bytes = Buffer.from('33221100554477668899aabbccddeeff', 'hex');
    expect(guidText(bytes)).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(changedSinceFilter('(objectClass=user)', AD, '41')).toBe('(&(objectClass=user)(uSNChanged>=42))');
    // Five minutes back: what changed while the last sync was reading is read again.
    expect(changedSinceFilter('(objectClass=x)', PRESETS.openldap, '20260101000200Z')).toBe(
      '(&(objectClass=x)(modifyTimestamp>=20251231235700Z))',
    );
  });

  it('disables a user AD disables, asks for a new password when pwdLastSet is 0, and re-enables only its own disabling', () => {
    const disabled = plan([entry({ disabled: true, mustChangePassword: true })], [linked()]);
    expect(disabled.users[0]).toMatchObject({ action: 'disable', disabledBySync: true });
    expect(disabled.users[0]?.set).toEqual({ enabled: 0, required_actions: '["update_password"]' });
    const created = plan([entry({ disabled: true, mustChangePassword: true })]);
    expect(created.users[0]?.set).toMatchObject({ enabled: 0, required_actions: '["update_password"]' });
    expect(plan([entry()], [linked({ enabled: 0, disabledBySync: true })]).users[0]?.action).toBe('enable');
    expect(plan([entry()], [linked({ enabled: 0, disabledBySync: false })]).users[0]?.action).toBe('unchanged');
  });

  it('refuses entries that share an external id, and leaves their user as it is', () => {
    const twins = [entry(), entry({ dn: 'CN=Ana Twin,OU=People,DC=example,DC=org', username: 'ana.twin' })];
    const out = plan(twins, [linked({ first_name: 'Before' })], new Map([['ana.garcia', 7]]));
    expect(out.errors.map((e) => e.dn)).toEqual(twins.map((t) => t.dn));
    expect(out.errors[0]?.message).toMatch(/same objectGUID "guid-1"/);
    // Not updated from either entry, nor disabled as gone.
    expect(out.users).toEqual([]);
    expect(out.failed.has('guid-1')).toBe(true);
  });

  it('takes another spelling of the same department for no change', () => {
    expect(plan([entry({ department: 'VENTAS ' })], [linked()]).users[0]?.action).toBe('unchanged');
    expect(plan([entry({ department: 'Soporte' })], [linked()]).users[0]).toMatchObject({
      action: 'update',
      set: { department: 'Soporte' },
    });
  });

  it('matches by external id, never by a username: a reused one is an error naming the DN', () => {
    const reused = plan([entry({ externalId: 'guid-2' })], [linked()], new Map([['ana.garcia', 7]]));
    expect(reused.errors).toEqual([
      { dn: entry().dn, message: 'The username "ana.garcia" belongs to a user synced from another entry' },
    ]);
    // The linked user whose entry is gone is disabled, not handed to the new entry.
    expect(reused.users).toEqual([expect.objectContaining({ action: 'disable', userId: 7 })]);
  });

  it('plans a large directory in slices, the event loop answering between them, to the same plan', async () => {
    const many = Array.from({ length: PLAN_SLICE * 3 }, (_, i) =>
      entry({ externalId: `guid-${i}`, username: `user.${i}`, dn: `CN=User ${i},OU=People,DC=example,DC=org` }),
    );
    const input = {
      mapping: AD.attributes,
      missingUsers: 'disable' as const,
      entries: many,
      present: null,
      linked: [linked({ externalId: 'guid-5', username: 'user.5' })],
      usernames: new Map([['user.5', 7]]),
    };
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    const sliced = await planUsersSliced(input);
    clearInterval(timer);
    expect(sliced).toEqual(planUsers(input));
    expect(sliced.users).toHaveLength(many.length);
    // Other work (a request) ran while the plan was made.
    expect(turns).toBeGreaterThan(0);

    const groups = [
      {
        dn: 'CN=Big,OU=Groups,DC=example,DC=org',
        externalId: 'g-1',
        name: 'Big',
        members: many.map((e) => e.dn),
        memberOf: [],
        changed: null,
      },
    ];
    expect(await planGroupsSliced(groups, [], new Map())).toEqual(planGroups(groups, [], new Map()));
  });
});
