// Reads a directory's users and groups for a sync, a page at a time (RFC 2696), through the connection's attribute
// mapping: each entry becomes the fields Roster keeps, its external id, its groups, and (Active Directory) whether
// it is disabled or must change its password. Large groups' members are read range by range as AD hands them out.
import type { Client, Entry } from 'ldapts';
import type { AttributeMapping } from '../../../shared/directory-schemas.js';
import { RESULT, resultCode } from './client.js';
import type { DirectoryPreset } from './presets.js';
import { PAGE_SIZE } from './probe.js';

export interface DirectoryUser {
  dn: string;
  externalId: string | null;
  username: string | null;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  department: string | null;
  /** DNs of the user's groups, where the directory keeps them on the user (AD's memberOf). */
  memberOf: string[];
  /** Active Directory's userAccountControl has ACCOUNTDISABLE (0x2). */
  disabled: boolean;
  /** Active Directory's pwdLastSet is 0: the password must be changed at the next sign-in. */
  mustChangePassword: boolean;
  /** modifyTimestamp, or uSNChanged on Active Directory. */
  changed: string | null;
}

export interface DirectoryGroup {
  dn: string;
  externalId: string | null;
  name: string | null;
  /** DNs of the members: people and groups. */
  members: string[];
  memberOf: string[];
  changed: string | null;
}

/** The directory could not be read to the end: the run fails, and the next one starts over. */
export class DirectoryReadError extends Error {}

/**
 * A DN as compared with another (RFC 4514): escapes undone (a directory may send `\,` or `\2C` for one comma), case,
 * and spaces around separators ignored, then written one way. A DN without escapes (most of them: a sync compares a
 * few hundred thousand) is split at its separators directly.
 */
export function dnKey(dn: string): string {
  let key = KEYS.get(dn);
  if (key === undefined) {
    key = keyOf(dn);
    if (dn.length <= KEPT_LENGTH) {
      keptChars += dn.length + key.length;
      if (keptChars > KEPT_CHARS) {
        KEYS.clear();
        keptChars = dn.length + key.length;
      }
      KEYS.set(dn, key);
    }
  }
  return key;
}

/**
 * The keys of the DNs keyed lately. A sync keys the same DNs run after run, and each several times (every group's
 * members, every link): most are found here. Emptied when it holds 16 million characters (about 100,000 DNs of 80
 * characters each, twice: the DN and its key); a DN longer than a real one is not kept.
 */
const KEYS = new Map<string, string>();
const KEPT_CHARS = 16_000_000;
const KEPT_LENGTH = 1024;
let keptChars = 0;

function keyOf(dn: string): string {
  const text = dn.trim();
  // Most DNs are written one way already but for case: nothing to unescape, escape or trim, one = to each RDN.
  if (PLAIN.test(text) && !UNPLAIN.test(text)) return text.toLowerCase();
  return text.includes('\\') ? escapedRdns(text).map(rdnKey).join(',') : text.split(/[,;+]/).map(plainRdnKey).join(',');
}

/** A DN of RDNs with one = each, */
const PLAIN = /^[^=,]+=[^=,]*(?:,[^=,]+=[^=,]*)*$/;
/** and none of what a DN written one way (but for case) does not hold: escapes, quotes, other separators, spaces to trim. */
const UNPLAIN = /[\\"<>;+]|\s[,=]|[,=]\s/;

/** The RDNs of a DN with escapes: hex escapes become the characters they encode, other escapes stay as `\c`. */
function escapedRdns(text: string): string[] {
  const parts: string[] = [];
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length) parts.push(Buffer.from(bytes).toString('utf8'));
    bytes = [];
  };
  let current = '';
  const rdns: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      const hex = text.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(Number.parseInt(hex, 16));
        i += 2;
      } else {
        flush();
        parts.push(`\\${text[i + 1]}`);
        i += 1;
      }
      continue;
    }
    flush();
    if (c === ',' || c === ';' || c === '+') {
      current += parts.splice(0).join('');
      rdns.push(current);
      current = '';
      continue;
    }
    parts.push(c);
  }
  flush();
  current += parts.splice(0).join('');
  rdns.push(current);
  return rdns;
}

/** rdnKey for an RDN of a DN without escapes: the first = ends the type, and the value has no , + ; or \\ to escape. */
function plainRdnKey(rdn: string): string {
  const at = rdn.indexOf('=');
  const value = rdn.slice(at + 1).trim();
  const escaped = /["<>=]/.test(value) ? value.replace(/["<>=]/g, (ch) => `\\${ch}`) : value;
  return `${rdn.slice(0, at).trim().toLowerCase()}=${escaped.toLowerCase()}`;
}

function rdnKey(rdn: string): string {
  const at = rdn.search(/(?<!\\)=/);
  const type = rdn.slice(0, at).trim().toLowerCase();
  // Escaped characters kept escaped (as \c); hex escapes became the characters: escape those that need it.
  const value = rdn
    .slice(at + 1)
    .trim()
    .replace(/\\(.)/g, '$1')
    .replace(/[\\,+"<>;=]/g, (ch) => `\\${ch}`)
    .toLowerCase();
  return `${type}=${value}`;
}

/** Active Directory's objectGUID in its usual text form (the first three parts are stored little-endian). */
export function guidText(bytes: Buffer): string {
  if (bytes.length !== 16) return bytes.toString('hex');
  const hex = (from: number, to: number, reverse: boolean) => {
    const part = [...bytes.subarray(from, to)];
    return (reverse ? part.reverse() : part).map((b) => b.toString(16).padStart(2, '0')).join('');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

const ACCOUNT_DISABLE = 0x2;

/** The entry's attributes by lower-case name (directories answer in their own spelling). */
function attributesOf(entry: Entry): Map<string, Entry[string]> {
  const out = new Map<string, Entry[string]>();
  for (const [key, value] of Object.entries(entry)) if (key !== 'dn') out.set(key.toLowerCase(), value);
  return out;
}

function values(value: Entry[string] | undefined): (string | Buffer)[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function first(attrs: Map<string, Entry[string]>, name: string | null): string | null {
  if (!name) return null;
  const found = values(attrs.get(name.toLowerCase()))[0];
  if (found === undefined) return null;
  const text = (Buffer.isBuffer(found) ? found.toString('utf8') : found).trim();
  return text === '' ? null : text;
}

function texts(attrs: Map<string, Entry[string]>, name: string | null): string[] {
  if (!name) return [];
  return values(attrs.get(name.toLowerCase())).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
}

function externalIdOf(attrs: Map<string, Entry[string]>, name: string, binary: boolean): string | null {
  const found = values(attrs.get(name.toLowerCase()))[0];
  if (found === undefined) return null;
  if (Buffer.isBuffer(found)) return binary ? guidText(found) : found.toString('utf8');
  return found.trim() || null;
}

function readProblem(error: unknown, base: string): DirectoryReadError {
  const code = resultCode(error);
  if (code === RESULT.noSuchObject) return new DirectoryReadError(`The directory has no entry ${base}`);
  if (code === RESULT.insufficientAccessRights)
    return new DirectoryReadError(`The bind DN may not search under ${base}`);
  if (code !== null) return new DirectoryReadError(`The search under ${base} failed (result code ${code})`);
  const message = String((error as Error)?.message ?? error);
  return new DirectoryReadError(
    /timed? ?out/i.test(message)
      ? `The directory stopped answering during the search under ${base}`
      : `The connection to the directory ended during the search under ${base} (${message})`,
  );
}

export interface ReadSettings {
  usersBaseDn: string;
  usersFilter: string;
  groupsBaseDn: string;
  groupsFilter: string;
  mapping: AttributeMapping;
  preset: DirectoryPreset;
}

/** Every entry under `base` matching `filter`, page by page; `onPage` hears how many so far. */
async function readAll(
  client: Client,
  base: string,
  filter: string,
  attributes: string[],
  binary: string[],
  onPage: (count: number) => Promise<void> | void,
): Promise<Entry[]> {
  const out: Entry[] = [];
  try {
    for await (const page of client.searchPaginated(base, {
      scope: 'sub',
      filter,
      attributes,
      explicitBufferAttributes: binary,
      paged: { pageSize: PAGE_SIZE },
    })) {
      out.push(...page.searchEntries);
      await onPage(out.length);
    }
  } catch (error) {
    // The run stopping between two pages is not the directory's doing.
    if ((error as Error)?.name === 'SyncStopped') throw error;
    throw readProblem(error, base);
  }
  return out;
}

/** How far back an incremental sync reads from its mark: an entry changed while the last sync was reading (with a
 * time below the mark that sync ended with) is read again, not missed. Entries read twice are simply unchanged. */
export const OVERLAP_MS = 5 * 60 * 1000;

/** A GeneralizedTime (RFC 4517) moved back by the overlap, in the same form. */
function backBy(time: string, ms: number): string | null {
  const parts = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,]\d+)?Z$/.exec(time);
  if (!parts) return null;
  const [, y, mo, d, h, mi, se] = parts.map(Number) as number[];
  const at = new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi, se) - ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${at.getUTCFullYear()}${two(at.getUTCMonth() + 1)}${two(at.getUTCDate())}${two(at.getUTCHours())}${two(at.getUTCMinutes())}${two(at.getUTCSeconds())}Z`;
}

/** The filter's entries changed since the mark `since` (with the overlap for a time; after it for a uSN). */
export function changedSinceFilter(filter: string, preset: DirectoryPreset, since: string): string {
  const value =
    preset.changedAttribute === 'uSNChanged'
      ? String(BigInt(since) + 1n)
      : (backBy(since, OVERLAP_MS) ?? since.replace(/[^0-9A-Za-z.+-]/g, ''));
  return `(&${filter}(${preset.changedAttribute}>=${value}))`;
}

/** The directory's users (only those changed since `since`, when given). */
export async function readUsers(
  client: Client,
  settings: ReadSettings,
  since: string | null,
  onPage: (count: number) => Promise<void> | void = () => {},
): Promise<DirectoryUser[]> {
  const m = settings.mapping;
  const ad = settings.preset.changedAttribute === 'uSNChanged';
  const mapped = [m.username, m.firstName, m.lastName, m.email, m.phone, m.department, m.externalId, m.memberOf];
  const attributes = [
    ...new Set([
      ...mapped.filter((a): a is string => Boolean(a)),
      settings.preset.changedAttribute,
      ...(ad ? ['userAccountControl', 'pwdLastSet'] : []),
    ]),
  ];
  const externalId = m.externalId as string;
  const binary = settings.preset.binaryExternalId ? [externalId] : [];
  const filter = since ? changedSinceFilter(settings.usersFilter, settings.preset, since) : settings.usersFilter;
  const entries = await readAll(client, settings.usersBaseDn, filter, attributes, binary, onPage);
  return entries.map((entry) => {
    const attrs = attributesOf(entry);
    const control = Number(first(attrs, 'userAccountControl') ?? 0);
    return {
      dn: entry.dn,
      externalId: externalIdOf(attrs, externalId, settings.preset.binaryExternalId),
      username: first(attrs, m.username),
      firstName: first(attrs, m.firstName),
      lastName: first(attrs, m.lastName),
      email: first(attrs, m.email),
      phone: first(attrs, m.phone),
      department: first(attrs, m.department),
      memberOf: texts(attrs, m.memberOf),
      disabled: ad && (control & ACCOUNT_DISABLE) !== 0,
      mustChangePassword: ad && first(attrs, 'pwdLastSet') === '0',
      changed: first(attrs, settings.preset.changedAttribute),
    };
  });
}

/** The external ids of every user the filter sees (an incremental sync's way of noticing who is gone). */
export async function readUserIds(
  client: Client,
  settings: ReadSettings,
  onPage: (count: number) => Promise<void> | void = () => {},
): Promise<Set<string>> {
  const externalId = settings.mapping.externalId as string;
  const binary = settings.preset.binaryExternalId ? [externalId] : [];
  const entries = await readAll(client, settings.usersBaseDn, settings.usersFilter, [externalId], binary, onPage);
  const out = new Set<string>();
  for (const entry of entries) {
    const id = externalIdOf(attributesOf(entry), externalId, settings.preset.binaryExternalId);
    if (id) out.add(id);
  }
  return out;
}

const RANGE = /^(.+);range=(\d+)-(\d+|\*)$/i;

/**
 * The rest of a large group's members: Active Directory gives a group's first 1,500 (MaxValRange) as
 * `member;range=0-1499` and the next ones to a read of the entry asking for `member;range=1500-*`, and so on.
 */
async function remainingMembers(
  client: Client,
  dn: string,
  attribute: string,
  attrs: Map<string, Entry[string]>,
): Promise<string[]> {
  const out: string[] = [];
  let next: number | null = null;
  for (const [key, value] of attrs) {
    const range = RANGE.exec(key);
    if (!range || range[1] !== attribute.toLowerCase()) continue;
    out.push(...values(value).map(String));
    next = range[3] === '*' ? null : Number(range[3]) + 1;
  }
  while (next !== null) {
    let page: Entry | undefined;
    try {
      const found = await client.search(dn, {
        scope: 'base',
        filter: '(objectClass=*)',
        attributes: [`${attribute};range=${next}-*`],
      });
      page = found.searchEntries[0];
    } catch (error) {
      throw readProblem(error, dn);
    }
    const more = page
      ? [...attributesOf(page)].find(([key]) => RANGE.exec(key)?.[1] === attribute.toLowerCase())
      : null;
    if (!more) break;
    const range = RANGE.exec(more[0]) as RegExpExecArray;
    // Each answer starts where it was asked to and moves on, bringing members unless it is the last: a directory that
    // repeats or goes back a range, or answers empty ones, would keep the sync reading (its memory growing) for ever.
    const found = values(more[1]);
    const last = range[3] === '*';
    if (Number(range[2]) !== next || (!last && (Number(range[3]) < next || found.length === 0)))
      throw new DirectoryReadError(
        `The directory answered the members of ${dn} from ${range[2]}-${range[3]} when asked from ${next}`,
      );
    out.push(...found.map(String));
    next = last ? null : Number(range[3]) + 1;
  }
  return out;
}

/** The directory's groups, with every member (range by range where the directory hands them out so). */
export async function readGroups(client: Client, settings: ReadSettings): Promise<DirectoryGroup[]> {
  const m = settings.mapping;
  const externalId = m.externalId as string;
  const member = m.groupMember as string;
  const attributes = [
    ...new Set(
      [m.groupName, member, externalId, m.memberOf, settings.preset.changedAttribute].filter((a): a is string =>
        Boolean(a),
      ),
    ),
  ];
  const binary = settings.preset.binaryExternalId ? [externalId] : [];
  const entries = await readAll(client, settings.groupsBaseDn, settings.groupsFilter, attributes, binary, () => {});
  const out: DirectoryGroup[] = [];
  for (const entry of entries) {
    const attrs = attributesOf(entry);
    const members = [...texts(attrs, member), ...(await remainingMembers(client, entry.dn, member, attrs))];
    out.push({
      dn: entry.dn,
      externalId: externalIdOf(attrs, externalId, settings.preset.binaryExternalId),
      name: first(attrs, m.groupName),
      members,
      memberOf: texts(attrs, m.memberOf),
      changed: first(attrs, settings.preset.changedAttribute),
    });
  }
  return out;
}
