// Generated directory contents for tests, as LDIF (RFC 2849): people of several locales whose names and DNs carry
// accents, nested groups (groupOfNames), one group of 5,000 members, an entry without the username attribute and two
// entries sharing a username. The generator also says what it made, so tests count from it, not from constants.

export const SUFFIX = 'dc=example,dc=org';
export const PEOPLE_DN = `ou=people,${SUFFIX}`;
export const GROUPS_DN = `ou=groups,${SUFFIX}`;
export const SERVICES_DN = `ou=services,${SUFFIX}`;
/** The account Roster binds as: it may read people and groups, nothing more. */
export const SERVICE_DN = `cn=roster-sync,${SERVICES_DN}`;
export const SERVICE_PASSWORD = 'Sync-pass-2026!';

/** When the generated entries were last changed, as slapadd records it: long before any test, so that only the
 * entries a test changes are newer than a sync's mark (an incremental sync reads a few minutes before it). */
export const LOADED_AT = '20260101000000Z';

export interface Person {
  dn: string;
  cn: string;
  givenName: string;
  sn: string;
  /** null: the entry has no username attribute (uid). */
  uid: string | null;
  mail: string | null;
  telephoneNumber: string | null;
  departmentNumber: string | null;
}

export interface Group {
  dn: string;
  cn: string;
  /** DNs of people and of other groups. */
  members: string[];
}

export interface Directory {
  people: Person[];
  groups: Group[];
  ldif: string;
}

/** Named people of several locales (the sync's tests look these up by uid). */
export const NAMED: { givenName: string; sn: string; uid: string; department: string }[] = [
  { givenName: 'Zoë', sn: 'Ødegård', uid: 'zoe.odegard', department: 'Support' },
  { givenName: 'Jürgen', sn: 'Müller', uid: 'juergen.mueller', department: 'Support' },
  { givenName: 'José', sn: 'Núñez', uid: 'jose.nunez', department: 'Ventas' },
  { givenName: 'Hélène', sn: 'Lefèvre', uid: 'helene.lefevre', department: 'Ventes' },
  { givenName: 'Łukasz', sn: 'Żółkiewski', uid: 'lukasz.zolkiewski', department: 'Support' },
  { givenName: 'Çağrı', sn: 'Işık', uid: 'cagri.isik', department: 'Satış' },
  { givenName: 'Jiří', sn: 'Dvořák', uid: 'jiri.dvorak', department: 'Support' },
  { givenName: 'Þórunn', sn: 'Guðmundsdóttir', uid: 'thorunn.gudmundsdottir', department: 'Support' },
  { givenName: 'Δημήτρης', sn: 'Παπαδόπουλος', uid: 'dimitris.papadopoulos', department: 'Πωλήσεις' },
  { givenName: 'Анна', sn: 'Кузнецова', uid: 'anna.kuznetsova', department: 'Поддержка' },
  { givenName: '太郎', sn: '山田', uid: 'taro.yamada', department: '営業' },
  { givenName: 'Văn An', sn: 'Nguyễn', uid: 'an.nguyen', department: 'Support' },
  // A comma in a name is escaped in the DN (RFC 4514).
  { givenName: 'Ana', sn: 'García, Jr.', uid: 'ana.garcia', department: 'Ventas' },
];

const FIRST = ['Åsa', 'Émile', 'Iñaki', 'Søren', 'Małgorzata', 'Ömer', 'Chloé', 'Agnès', 'Björn', 'Zoé'];
const LAST = ['Ångström', 'Dubois', 'Etxeberria', 'Kierkegaard', 'Wójcik', 'Yılmaz', 'Martín', 'Brontë', 'Øst'];

/** RFC 4514: escape what would end or change an attribute value in a DN. */
export function escapeDnValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

// RFC 2849: a value that is not a SAFE-STRING (printable ASCII here, not starting with a space, colon or <, nor
// ending with a space) is written in base64.
export function ldifLine(attribute: string, value: string): string {
  const safe = /^[ -~]*$/.test(value) && !/^[ :<]/.test(value) && !value.endsWith(' ');
  return safe ? `${attribute}: ${value}` : `${attribute}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

export function entryLdif(dn: string, attributes: [string, string | null | undefined][]): string {
  const lines = [ldifLine('dn', dn)];
  for (const [name, value] of attributes) if (value !== null && value !== undefined) lines.push(ldifLine(name, value));
  return `${lines.join('\n')}\n`;
}

function personLdif(p: Person): string {
  return entryLdif(p.dn, [
    ['objectClass', 'top'],
    ['objectClass', 'person'],
    ['objectClass', 'organizationalPerson'],
    ['objectClass', 'inetOrgPerson'],
    ['cn', p.cn],
    ['givenName', p.givenName],
    ['sn', p.sn],
    ['uid', p.uid],
    ['mail', p.mail],
    ['telephoneNumber', p.telephoneNumber],
    ['departmentNumber', p.departmentNumber],
    ['userPassword', `Person-pass-${p.uid ?? 'none'}`],
    ['modifyTimestamp', LOADED_AT],
  ]);
}

function groupLdif(g: Group): string {
  return entryLdif(g.dn, [
    ['objectClass', 'top'],
    ['objectClass', 'groupOfNames'],
    ['cn', g.cn],
    ...g.members.map((m) => ['member', m] as [string, string]),
    ['modifyTimestamp', LOADED_AT],
  ]);
}

/** The suffix, the people, groups and services units, and the service account Roster binds as. */
export function baseEntries(): string[] {
  return [
    entryLdif(SUFFIX, [
      ['objectClass', 'top'],
      ['objectClass', 'dcObject'],
      ['objectClass', 'organization'],
      ['dc', 'example'],
      ['o', 'Example Contact Center'],
    ]),
    ...[PEOPLE_DN, GROUPS_DN, SERVICES_DN].map((dn) =>
      entryLdif(dn, [
        ['objectClass', 'top'],
        ['objectClass', 'organizationalUnit'],
        ['ou', dn.slice(3, dn.indexOf(','))],
      ]),
    ),
    entryLdif(SERVICE_DN, [
      ['objectClass', 'top'],
      ['objectClass', 'organizationalRole'],
      ['objectClass', 'simpleSecurityObject'],
      ['cn', 'roster-sync'],
      ['userPassword', SERVICE_PASSWORD],
    ]),
  ];
}

const person = (givenName: string, sn: string, uid: string | null, n: number, department: string | null): Person => {
  const cn = `${givenName} ${sn}`;
  return {
    dn: `cn=${escapeDnValue(cn)},${PEOPLE_DN}`,
    cn,
    givenName,
    sn,
    uid,
    mail: uid ? `${uid}@example.org` : null,
    telephoneNumber: `+1 555 ${String(1000 + (n % 9000)).padStart(4, '0')}`,
    departmentNumber: department,
  };
};

/** The whole directory: `bulk` numbered agents (5,000 by default: all members of one group) and the named people. */
export function generateDirectory(options: { bulk?: number } = {}): Directory {
  const bulk = options.bulk ?? 5000;
  const people: Person[] = NAMED.map((p, i) => person(p.givenName, p.sn, p.uid, i, p.department));
  // An entry a sync cannot name: no uid.
  people.push(person('Sin', 'Usuario', null, 900, 'Support'));
  // Two entries with one username: a sync must refuse to guess which is which.
  people.push(person('Kim', 'Lee', 'kim.lee', 901, 'Support'));
  people.push(person('Kim', 'Lee (Seoul)', 'kim.lee', 902, 'Support'));
  const agents: Person[] = [];
  for (let n = 1; n <= bulk; n++) {
    const given = FIRST[n % FIRST.length] as string;
    const family = `${LAST[n % LAST.length]} ${String(n).padStart(5, '0')}`;
    agents.push(person(given, family, `agent${String(n).padStart(5, '0')}`, n, n % 2 ? 'Support' : 'Ventas'));
  }
  people.push(...agents);

  const dnOf = (uid: string) => (people.find((p) => p.uid === uid) as Person).dn;
  const group = (cn: string, members: string[]): Group => ({ dn: `cn=${escapeDnValue(cn)},${GROUPS_DN}`, cn, members });
  // Four levels of nesting: Roster's tree has three, so the fourth is flattened by a sync.
  const night = group('Nachtschicht Eskalation', [dnOf('jiri.dvorak')]);
  const tier2 = group('Support Tier 2 – Nuit', [dnOf('helene.lefevre'), night.dn]);
  const tier1 = group('Support Tier 1', [dnOf('juergen.mueller'), dnOf('lukasz.zolkiewski'), tier2.dn]);
  const support = group('Support', [dnOf('zoe.odegard'), tier1.dn]);
  const sales = group('Ventas España', [dnOf('jose.nunez'), dnOf('ana.garcia'), dnOf('cagri.isik')]);
  const everyone = group(
    'All agents',
    agents.map((a) => a.dn),
  );
  const groups = [support, tier1, tier2, night, sales, everyone];

  const blocks = [...baseEntries(), ...people.map(personLdif), ...groups.map(groupLdif)];
  return { people, groups, ldif: blocks.join('\n') };
}
