// An LDAP directory as a multinational contact center has it, as LDIF for slapadd: the people of bench/people (many
// locales, accented and non-Latin names in their DNs, German-style "Last, First" common names whose comma is escaped
// per RFC 4514), with uid, mail, phone, department and employee number, and groupOfNames groups two levels deep
// (sites' department groups and their teams) of very skewed sizes: a few of 5,000-20,000 members, most of a few dozen,
// every person in one to three of them. Then the changes a day brings (ldapmodify records): people renamed, moved to
// another department or given another phone, people gone, new people, people moving between groups. The generator
// also says what it made, so the benchmark checks a sync's counts against it.
import {
  baseEntries,
  entryLdif,
  escapeDnValue,
  GROUPS_DN,
  LOADED_AT,
  ldifLine,
  PEOPLE_DN,
} from '../test/support/ldif.js';
import { random } from './data.js';
import { DEPARTMENTS_BY_SIZE, generatePeople, type Person } from './people/generate.js';

export interface LdapPerson {
  dn: string;
  cn: string;
  uid: string;
  givenName: string;
  sn: string;
  mail: string;
  phone: string | null;
  department: string | null;
  /** Indexes of the groups the person is a direct member of. */
  groups: number[];
  locale: string;
}

export interface LdapGroup {
  dn: string;
  cn: string;
  /** Index of the group this one is a member of (null: a top-level group). */
  parent: number | null;
  /** Indexes of the people who are direct members. */
  members: Set<number>;
  children: number[];
}

export interface LdapDirectory {
  people: LdapPerson[];
  groups: LdapGroup[];
  /** Distinct (person, group) memberships. */
  memberships: number;
  /** The latest modifyTimestamp of a person (what a full sync's mark becomes). */
  latestChange: string;
  /** People whose modifyTimestamp is within `withinMs` of the latest (an incremental sync reads them again). */
  changedNear(withinMs: number): number;
}

/** Where the company's people sit: cities in their own spelling (a comma in one, escaped in its groups' DNs). */
const SITES = [
  ...['Lisboa', 'São Paulo', 'Paris, La Défense', 'München', 'Zürich', 'Kraków', 'Praha', 'Göteborg', 'Malmö'],
  ...['Montréal', 'Bogotá', 'Ciudad de México', 'Málaga', 'A Coruña', 'Genève', 'Köln', 'Düsseldorf', 'Århus'],
  ...['Tromsø', 'Jyväskylä', 'İstanbul', 'İzmir', 'Москва', 'Санкт-Петербург', 'Київ', '東京', '大阪', '서울'],
  ...['Hà Nội', 'Thành phố Hồ Chí Minh', '上海', 'Bengaluru', 'Pune', 'Manila', 'Dublin', 'Austin', 'Leeds'],
  ...['Zagreb', 'Łódź', 'Wrocław', 'Brno', 'Reykjavík'],
];
/** Teams inside a site's department group (a plus sign in one, escaped in its DN). */
const TEAMS = [
  ...['Tier 1', 'Tier 2', 'Tier 3', 'Nachtschicht', 'Frühschicht', 'Équipe de nuit', 'Turno mañana', 'Weekend'],
  ...['Escalations', 'VIP', 'Billing + Collections', 'Onboarding', 'Coaches', 'Español', 'Français', 'Deutsch'],
  ...['Ночная смена', '夜勤', '주말', 'Ca đêm', 'Kvällsskift', 'Zmiana nocna', 'Backup', 'Pilot'],
];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A GeneralizedTime (RFC 4517), seconds precision. */
export function generalizedTime(at: Date): string {
  return `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}Z`;
}

const LOADED = Date.UTC(2026, 0, 1);
if (generalizedTime(new Date(LOADED)) !== LOADED_AT) throw new Error('LOADED_AT moved: update bench/directory-ldif.ts');
/** People were last changed over the two years before the load. */
const HISTORY_MS = 2 * 365 * 24 * 3600 * 1000;

/** A person as their directory entry holds them; `taken` keeps uids and common names unique in the directory. */
function toLdap(person: Person, taken: { uids: Set<string>; cns: Set<string> }): LdapPerson {
  const email = person.email as string;
  const local = email.split('@')[0] as string;
  let uid = local;
  for (let n = 2; taken.uids.has(uid); n++) uid = `${local}${n}`;
  taken.uids.add(uid);
  // German-speaking companies name their people "Last, First" in the directory.
  const name =
    person.locale === 'de' ? `${person.lastName}, ${person.firstName}` : `${person.firstName} ${person.lastName}`;
  let cn = name;
  for (let n = 2; taken.cns.has(cn.normalize('NFKC').toLowerCase()); n++) cn = `${name} (${n})`;
  taken.cns.add(cn.normalize('NFKC').toLowerCase());
  return {
    dn: `cn=${escapeDnValue(cn)},${PEOPLE_DN}`,
    cn,
    uid,
    givenName: person.firstName as string,
    sn: person.lastName as string,
    mail: email,
    // A directory keeps the number; an extension written after it (" x123") is not part of it.
    phone: person.phone ? person.phone.replace(/\s*x\d+$/, '') : null,
    department: person.department ?? null,
    groups: [],
    locale: person.locale,
  };
}

function personLdif(p: LdapPerson, n: number, changed: string): string {
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
    ['telephoneNumber', p.phone],
    ['departmentNumber', p.department],
    ['employeeNumber', String(100_000 + n)],
    ['preferredLanguage', p.locale],
    ['modifyTimestamp', changed],
  ]);
}

function groupLdif(g: LdapGroup, people: LdapPerson[], groups: LdapGroup[]): string {
  return entryLdif(g.dn, [
    ['objectClass', 'top'],
    ['objectClass', 'groupOfNames'],
    ['cn', g.cn],
    ...[...g.members].map((i) => ['member', (people[i] as LdapPerson).dn] as [string, string]),
    ...g.children.map((i) => ['member', (groups[i] as LdapGroup).dn] as [string, string]),
    ['modifyTimestamp', LOADED_AT],
  ]);
}

/** Group sizes: the largest few set (scaled to the directory), the rest falling off as 1/(rank + 20). */
function groupSizes(count: number, slots: number, users: number): number[] {
  const scale = users / 100_000;
  const large = [20_000, 15_000, 10_000, 7_500, 5_000]
    .slice(0, Math.max(0, count - 1))
    .map((n) => Math.round(n * scale));
  const rest = count - large.length;
  const left = Math.max(rest * 2, slots - large.reduce((a, b) => a + b, 0));
  const weights = Array.from({ length: rest }, (_, r) => 1 / (r + 1 + 20));
  const total = weights.reduce((a, b) => a + b, 0);
  return [...large, ...weights.map((w) => Math.max(2, Math.round((w / total) * left)))];
}

/** `users` people and `groupCount` groups, deterministic for `seed`, and the LDIF slapadd loads. */
export function buildDirectory(users: number, groupCount: number, seed = 1): LdapDirectory & { ldif: string } {
  const next = random(seed);
  const taken = { uids: new Set<string>(), cns: new Set<string>() };
  const people = [...generatePeople(users, seed)].map((p) => toLdap(p, taken));

  // Groups: a fifth are a site's department groups, the rest teams inside one of them (some sites have many).
  const roots = Math.max(1, Math.round(groupCount / 5));
  const groups: LdapGroup[] = [];
  const names = new Set<string>();
  for (let i = 0; groups.length < roots; i++) {
    const department = DEPARTMENTS_BY_SIZE[i % DEPARTMENTS_BY_SIZE.length] as string;
    const site = SITES[Math.floor(i / DEPARTMENTS_BY_SIZE.length) % SITES.length] as string;
    const round = Math.floor(i / (DEPARTMENTS_BY_SIZE.length * SITES.length));
    const cn = `${department} ${site}${round > 0 ? ` ${round + 1}` : ''}`;
    names.add(cn);
    groups.push({ dn: `cn=${escapeDnValue(cn)},${GROUPS_DN}`, cn, parent: null, members: new Set(), children: [] });
  }
  const teamsOf = new Map<number, number>();
  while (groups.length < groupCount) {
    // Skewed: the first sites' groups hold most teams.
    const parent = Math.floor(roots * next() ** 2);
    const n = teamsOf.get(parent) ?? 0;
    teamsOf.set(parent, n + 1);
    const team = `${TEAMS[n % TEAMS.length]}${n >= TEAMS.length ? ` ${Math.floor(n / TEAMS.length) + 1}` : ''}`;
    const cn = `${(groups[parent] as LdapGroup).cn} – ${team}`;
    if (names.has(cn)) continue;
    names.add(cn);
    (groups[parent] as LdapGroup).children.push(groups.length);
    groups.push({ dn: `cn=${escapeDnValue(cn)},${GROUPS_DN}`, cn, parent, members: new Set(), children: [] });
  }

  // Every person in one to three groups: each person's slots dealt out in a random order over the groups' sizes.
  const slots: number[] = [];
  for (let i = 0; i < people.length; i++) {
    const roll = next();
    const k = roll < 0.55 ? 1 : roll < 0.85 ? 2 : 3;
    for (let j = 0; j < k; j++) slots.push(i);
  }
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [slots[i], slots[j]] = [slots[j] as number, slots[i] as number];
  }
  // The largest groups are sites' department groups, the rest are dealt in a random order.
  const order = [...groups.keys()].sort((a, b) => a - b);
  const sizes = groupSizes(groups.length, slots.length, users);
  let at = 0;
  for (const [rank, g] of order.entries()) {
    const size = rank === order.length - 1 ? slots.length - at : (sizes[rank] as number);
    for (const person of slots.slice(at, at + size)) (groups[g] as LdapGroup).members.add(person);
    at = Math.min(slots.length, at + size);
  }
  let memberships = 0;
  for (const [g, group] of groups.entries())
    for (const person of group.members) {
      (people[person] as LdapPerson).groups.push(g);
      memberships++;
    }
  // Groups left without members (a small directory runs out of slots) get someone in fewer than three groups, as
  // groupOfNames needs a member.
  let candidate = 0;
  for (const [g, group] of groups.entries()) {
    if (group.members.size > 0) continue;
    while (candidate < people.length - 1 && (people[candidate] as LdapPerson).groups.length >= 3) candidate++;
    group.members.add(candidate);
    (people[candidate] as LdapPerson).groups.push(g);
    memberships++;
  }

  const changes = people.map(() => LOADED - Math.floor(next() * HISTORY_MS));
  let newest = 0;
  for (const c of changes) if (c > newest) newest = c;
  const ldif = [
    ...baseEntries(),
    ...people.map((p, i) => personLdif(p, i, generalizedTime(new Date(changes[i] as number)))),
    ...groups.map((g) => groupLdif(g, people, groups)),
  ].join('\n');
  return {
    people,
    groups,
    memberships,
    latestChange: generalizedTime(new Date(newest)),
    changedNear: (withinMs) => changes.filter((c) => c >= newest - withinMs).length,
    ldif,
  };
}

export interface DirectoryChanges {
  /** ldapmodify's input. */
  ldif: string;
  modified: number;
  removed: number;
  added: number;
  /** Memberships the changes add or take away among people still in the directory. */
  membershipChanges: number;
}

/**
 * A day's changes to the directory: `modify` people get another surname, department or phone (a third each), `remove`
 * leave (their entries deleted and taken out of their groups), `add` join (in one or two groups), and `moves` of the
 * modified people leave one of their groups for another. Applies them to `dir` as well.
 */
export function directoryChanges(
  dir: LdapDirectory,
  counts: { modify: number; remove: number; add: number; moves: number },
  seed = 2,
): DirectoryChanges {
  const next = random(seed);
  const { people, groups } = dir;
  const picked = new Set<number>();
  while (picked.size < Math.min(people.length - 1, counts.modify + counts.remove))
    picked.add(Math.floor(next() * people.length));
  const chosen = [...picked];
  const modified = chosen.slice(0, counts.modify);
  const removed = chosen.slice(counts.modify);
  const records: string[] = [];
  const groupAdds = new Map<number, Set<string>>();
  const groupDeletes = new Map<number, Set<string>>();
  const note = (map: Map<number, Set<string>>, g: number, dn: string) => {
    const set = map.get(g) ?? new Set<string>();
    set.add(dn);
    map.set(g, set);
  };
  const modifyRecord = (dn: string, attribute: string, value: string) =>
    [ldifLine('dn', dn), 'changetype: modify', `replace: ${attribute}`, ldifLine(attribute, value), '-', ''].join('\n');

  for (const [n, i] of modified.entries()) {
    const p = people[i] as LdapPerson;
    if (n % 3 === 0) {
      // A new surname (as after a marriage): another person's, different from this one's.
      let sn = p.sn;
      while (sn === p.sn) sn = (people[Math.floor(next() * people.length)] as LdapPerson).sn;
      p.sn = sn;
      records.push(modifyRecord(p.dn, 'sn', sn));
    } else if (n % 3 === 1) {
      let department = p.department;
      while (department === p.department)
        department = DEPARTMENTS_BY_SIZE[Math.floor(next() * DEPARTMENTS_BY_SIZE.length)] as string;
      p.department = department;
      records.push(modifyRecord(p.dn, 'departmentNumber', department as string));
    } else {
      const phone = `+1 555 ${pad(Math.floor(next() * 1000), 3)} ${pad(n, 4)}`;
      p.phone = phone;
      records.push(modifyRecord(p.dn, 'telephoneNumber', phone));
    }
  }
  let membershipChanges = 0;
  // People moving from one of their groups to one they are not in.
  for (const i of modified.slice(0, counts.moves)) {
    const p = people[i] as LdapPerson;
    const from = p.groups[Math.floor(next() * p.groups.length)] as number;
    if ((groups[from] as LdapGroup).members.size < 2) continue;
    let to = from;
    while (to === from || p.groups.includes(to)) to = Math.floor(next() * groups.length);
    (groups[from] as LdapGroup).members.delete(i);
    (groups[to] as LdapGroup).members.add(i);
    p.groups = [...p.groups.filter((g) => g !== from), to];
    note(groupDeletes, from, p.dn);
    note(groupAdds, to, p.dn);
    membershipChanges += 2;
  }
  for (const i of removed) {
    const p = people[i] as LdapPerson;
    for (const g of p.groups) {
      // groupOfNames must keep a member: the last one stays listed (a DN that no longer names anyone).
      if ((groups[g] as LdapGroup).members.size < 2) continue;
      (groups[g] as LdapGroup).members.delete(i);
      note(groupDeletes, g, p.dn);
    }
    records.push([ldifLine('dn', p.dn), 'changetype: delete', ''].join('\n'));
  }
  const taken = {
    uids: new Set(people.map((p) => p.uid)),
    cns: new Set(people.map((p) => p.cn.normalize('NFKC').toLowerCase())),
  };
  const adds: string[] = [];
  for (const person of generatePeople(counts.add, seed + 1000)) {
    const p = toLdap(person, taken);
    const index = people.length;
    people.push(p);
    const k = next() < 0.6 ? 1 : 2;
    while (p.groups.length < k) {
      const g = Math.floor(next() * groups.length);
      if (p.groups.includes(g)) continue;
      p.groups.push(g);
      (groups[g] as LdapGroup).members.add(index);
      note(groupAdds, g, p.dn);
      membershipChanges++;
    }
    adds.push(
      personLdif(p, index, generalizedTime(new Date()))
        .replace(/\nmodifyTimestamp: .*\n$/, '\n')
        .replace(/\n/, '\nchangetype: add\n'),
    );
  }
  const groupRecords: string[] = [];
  for (const g of new Set([...groupAdds.keys(), ...groupDeletes.keys()])) {
    const lines = [ldifLine('dn', (groups[g] as LdapGroup).dn), 'changetype: modify'];
    const add = [...(groupAdds.get(g) ?? [])];
    const remove = [...(groupDeletes.get(g) ?? [])];
    if (add.length) lines.push('add: member', ...add.map((dn) => ldifLine('member', dn)), '-');
    if (remove.length) lines.push('delete: member', ...remove.map((dn) => ldifLine('member', dn)), '-');
    groupRecords.push(`${lines.join('\n')}\n`);
  }
  // New people first (their groups list them next), deleted people last.
  const deletes = records.filter((r) => r.includes('changetype: delete'));
  const modifies = records.filter((r) => !r.includes('changetype: delete'));
  return {
    ldif: [...adds, ...modifies, ...groupRecords, ...deletes].join('\n'),
    modified: modified.length,
    removed: removed.length,
    added: counts.add,
    membershipChanges,
  };
}
