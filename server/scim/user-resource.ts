// A Roster user as a SCIM User resource (core schema, enterprise extension, Roster's extension), and a SCIM User
// document read back into Roster's fields. Roster keeps one email and one phone (the primary one, else the work one,
// else the first); the other values a client sends are kept as given and returned, as are the attributes Roster has
// no column for (displayName, nickName, addresses...).
import { type AppKey, isAppKey } from '../../shared/access.js';
import { idFromDigits, MAX_ID } from '../../shared/ids.js';
import type { UserRow } from '../services/user-presenter.js';
import { displayName } from '../services/user-presenter.js';
import { invalidValue, mutability } from './errors.js';
import { ENTERPRISE_SCHEMA, ROSTER_SCHEMA, USER_SCHEMA } from './schema.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface UserExtras {
  groups: { id: number; name: string }[];
  manager: { id: number; name: string } | null;
}

/** What Roster keeps of a user's SCIM attributes that have no column (the scim_json column). */
interface Kept {
  name?: JsonObject;
  displayName?: string;
  nickName?: string;
  profileUrl?: string;
  userType?: string;
  locale?: string;
  addresses?: Json[];
  emails?: JsonObject[];
  phoneNumbers?: JsonObject[];
  enterprise?: JsonObject;
}

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value of `name` in `object`, matched without case (SCIM attribute names are case-insensitive). */
export function field(object: JsonObject | undefined | null, name: string): Json | undefined {
  if (!object) return undefined;
  if (name in object) return object[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return object[key];
  return undefined;
}

/** A multi-valued attribute's entries, keeping the stored ones when the column still holds their chosen value. */
function multi(column: string, kept: JsonObject[] | undefined, type: string): JsonObject[] {
  if (kept && kept.length > 0 && chosen(kept)?.value === column) return kept;
  return column ? [{ value: column, type, primary: true }] : [];
}

/** The entry Roster keeps in its column: the primary one, else the work one, else the first. */
function chosen(entries: JsonObject[]): { value: string; index: number } | null {
  const withValue = entries
    .map((entry, index) => ({ entry, index, value: field(entry, 'value') }))
    .filter((e) => typeof e.value === 'string' && e.value !== '');
  const pick =
    withValue.find((e) => isTrue(field(e.entry, 'primary'))) ??
    withValue.find((e) => String(field(e.entry, 'type') ?? '').toLowerCase() === 'work') ??
    withValue[0];
  return pick ? { value: pick.value as string, index: pick.index } : null;
}

const isTrue = (value: Json | undefined) =>
  value === true || (typeof value === 'string' && value.toLowerCase() === 'true');

export function userLocation(base: string, id: number) {
  return `${base}/Users/${id}`;
}

/** The user as a SCIM resource, every attribute Roster returns by default. */
export function userResource(row: UserRow, extras: UserExtras, base: string, version: string): JsonObject {
  const kept = JSON.parse(row.scim_json || '{}') as Kept;
  const name: JsonObject = {
    ...(kept.name ?? {}),
    givenName: row.first_name,
    familyName: row.last_name,
    formatted: (kept.name?.formatted as string | undefined) ?? displayName(row),
  };
  const enterprise: JsonObject = {
    ...(kept.enterprise ?? {}),
    ...(row.employee_number ? { employeeNumber: row.employee_number } : {}),
    ...(row.department ? { department: row.department } : {}),
  };
  if (extras.manager) {
    enterprise.manager = {
      value: String(extras.manager.id),
      $ref: userLocation(base, extras.manager.id),
      displayName: extras.manager.name,
    };
  }
  const licenses = JSON.parse(row.license_apps || '[]') as string[];
  const resource: JsonObject = {
    schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA, ROSTER_SCHEMA],
    id: String(row.id),
    ...(row.external_id !== null && row.external_id !== undefined ? { externalId: row.external_id } : {}),
    userName: row.username,
    name,
    displayName: kept.displayName ?? displayName(row),
    ...(kept.nickName ? { nickName: kept.nickName } : {}),
    ...(kept.profileUrl ? { profileUrl: kept.profileUrl } : {}),
    ...(row.title ? { title: row.title } : {}),
    ...(kept.userType ? { userType: kept.userType } : {}),
    ...(row.language ? { preferredLanguage: row.language } : {}),
    ...(kept.locale ? { locale: kept.locale } : {}),
    ...(row.time_zone ? { timezone: row.time_zone } : {}),
    active: row.enabled === 1,
    emails: multi(row.email, kept.emails, 'work'),
    phoneNumbers: multi(row.phone, kept.phoneNumbers, 'work'),
    ...(kept.addresses && kept.addresses.length > 0 ? { addresses: kept.addresses } : {}),
    groups: extras.groups.map((g) => ({
      value: String(g.id),
      $ref: `${base}/Groups/${g.id}`,
      display: g.name,
      type: 'direct',
    })),
    [ENTERPRISE_SCHEMA]: enterprise,
    [ROSTER_SCHEMA]: {
      accessType: row.access_type,
      authMethod: row.auth_method,
      source: row.source,
      syncEnabled: row.sync_enabled === 1,
      licenses,
      agentId: row.agent_id,
      ringTo: row.ring_to,
      scoringEnabled: row.scoring_enabled === 1,
      roamingAgent: row.roaming_agent === 1,
      reportingAccess: row.reporting_access,
      audioAccess: row.audio_access,
      scoringAccess: row.scoring_access,
    },
    meta: {
      resourceType: 'User',
      created: row.created_at,
      lastModified: row.updated_at,
      location: userLocation(base, row.id),
      version,
    },
  };
  if ((resource.emails as Json[]).length === 0) delete resource.emails;
  if ((resource.phoneNumbers as Json[]).length === 0) delete resource.phoneNumbers;
  return resource;
}

/** What a SCIM User document asks of Roster. */
export interface UserDocument {
  userName: string;
  /** Roster's user fields (the API's user input). */
  fields: Record<string, unknown>;
  externalId: string | null;
  title: string;
  employeeNumber: string;
  /** The manager's id as given (checked against the account by the caller), or null for none. */
  managerId: number | null;
  scimJson: string;
  password: string | undefined;
  /** The licenses asked for, or undefined when the document does not say. */
  licenses: AppKey[] | undefined;
}

const text = (value: Json | undefined, attribute: string, max = 1000): string => {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') throw invalidValue(`${attribute} must be a string`);
  if (value.length > max) throw invalidValue(`${attribute} must be at most ${max} characters`);
  return value.trim();
};

/** A boolean, also as the strings "True" and "False" that some identity providers send. */
export function booleanOf(value: Json | undefined, attribute: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  throw invalidValue(`${attribute} must be true or false`);
}

/** A multi-valued attribute as a list of objects ("value" entries). */
function entries(value: Json | undefined, attribute: string): JsonObject[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.length > 20) throw invalidValue(`${attribute} holds at most 20 values`);
  return list.map((entry) => {
    if (isObject(entry)) return entry;
    if (typeof entry === 'string') return { value: entry };
    throw invalidValue(`${attribute} must be a list of objects with a value`);
  });
}

/** The manager as a bare id string (as Entra ID sends it) or as {value}; "" or null: none. */
export function managerIdOf(value: Json | undefined): number | null {
  const raw = isObject(value) ? field(value, 'value') : value;
  if (raw === undefined || raw === null || raw === '') return null;
  const id =
    typeof raw === 'number' ? raw : typeof raw === 'string' ? (idFromDigits(raw.trim()) ?? Number.NaN) : Number.NaN;
  if (!Number.isSafeInteger(id) || id < 1 || id > MAX_ID)
    throw invalidValue(`manager ${JSON.stringify(raw)} is not a user of this account`);
  return id;
}

/** The first language tag of an Accept-Language value ("da, en-gb;q=0.8" is "da"). */
const firstLanguage = (value: string) => value.split(',')[0]?.split(';')[0]?.trim() ?? '';

/** Reads a whole User document (a create or a replace, or a patched resource). */
export function readUserDocument(doc: JsonObject): UserDocument {
  const userName = text(field(doc, 'userName'), 'userName', 100);
  if (!userName) throw invalidValue('userName is required');
  const nameObject = field(doc, 'name');
  if (nameObject !== undefined && nameObject !== null && !isObject(nameObject))
    throw invalidValue('name must be an object');
  const name = (nameObject ?? {}) as JsonObject;
  const given = text(field(name, 'givenName'), 'name.givenName', 100);
  const family = text(field(name, 'familyName'), 'name.familyName', 100);
  const shown = text(field(doc, 'displayName'), 'displayName', 200);
  const emails = entries(field(doc, 'emails'), 'emails');
  const phones = entries(field(doc, 'phoneNumbers'), 'phoneNumbers');
  const addresses = entries(field(doc, 'addresses'), 'addresses');
  const enterpriseValue = field(doc, ENTERPRISE_SCHEMA);
  const enterprise = (isObject(enterpriseValue) ? enterpriseValue : {}) as JsonObject;
  const rosterValue = field(doc, ROSTER_SCHEMA);
  const roster = (isObject(rosterValue) ? rosterValue : {}) as JsonObject;
  const email = chosen(emails);
  const phone = chosen(phones);
  const kept: Kept = {};
  const nameRest: JsonObject = {};
  for (const key of ['formatted', 'middleName', 'honorificPrefix', 'honorificSuffix']) {
    const value = text(field(name, key), `name.${key}`, 200);
    if (value) nameRest[key] = value;
  }
  if (Object.keys(nameRest).length > 0) kept.name = nameRest;
  if (shown) kept.displayName = shown;
  for (const key of ['nickName', 'profileUrl', 'userType', 'locale'] as const) {
    const value = text(field(doc, key), key, 200);
    if (value) kept[key] = value;
  }
  if (addresses.length > 0) kept.addresses = addresses;
  if (emails.length > 1 || (emails.length === 1 && Object.keys(emails[0] as object).length > 1)) kept.emails = emails;
  if (phones.length > 1 || (phones.length === 1 && Object.keys(phones[0] as object).length > 1))
    kept.phoneNumbers = phones;
  const enterpriseRest: JsonObject = {};
  for (const key of ['costCenter', 'organization', 'division']) {
    const value = text(field(enterprise, key), key, 200);
    if (value) enterpriseRest[key] = value;
  }
  if (Object.keys(enterpriseRest).length > 0) kept.enterprise = enterpriseRest;

  const fields: Record<string, unknown> = {
    // Roster needs a first name: the given name, else the display name, else the username's first part.
    firstName: given || shown || userName.split('@')[0] || userName,
    lastName: family,
    email: email?.value.trim() ?? '',
    phone: phone ? phone.value.replace(/^tel:/i, '').trim() : '',
    department: text(field(enterprise, 'department'), 'department', 100),
    timeZone: text(field(doc, 'timezone'), 'timezone', 100),
    language: firstLanguage(text(field(doc, 'preferredLanguage'), 'preferredLanguage', 100)),
  };
  const active = booleanOf(field(doc, 'active'), 'active');
  if (active !== undefined) fields.enabled = active;
  for (const key of [
    'accessType',
    'authMethod',
    'agentId',
    'ringTo',
    'reportingAccess',
    'audioAccess',
    'scoringAccess',
  ]) {
    const value = field(roster, key);
    if (value !== undefined && value !== null) fields[key] = text(value, key, 100);
  }
  for (const key of ['scoringEnabled', 'roamingAgent']) {
    const value = booleanOf(field(roster, key), key);
    if (value !== undefined) fields[key] = value;
  }
  let licenses: AppKey[] | undefined;
  const licenseValue = field(roster, 'licenses');
  if (licenseValue !== undefined && licenseValue !== null) {
    const list = (Array.isArray(licenseValue) ? licenseValue : [licenseValue]).map((entry) =>
      isObject(entry) ? field(entry, 'value') : entry,
    );
    licenses = [];
    for (const entry of list) {
      if (typeof entry !== 'string' || !isAppKey(entry))
        throw invalidValue(`licenses: ${JSON.stringify(entry)} is not an application`);
      if (!licenses.includes(entry)) licenses.push(entry);
    }
  }
  const externalId = field(doc, 'externalId');
  const password = field(doc, 'password');
  if (password !== undefined && password !== null && typeof password !== 'string')
    throw invalidValue('password must be a string');
  return {
    userName,
    fields,
    externalId:
      externalId === undefined || externalId === null || externalId === '' ? null : text(externalId, 'externalId', 255),
    title: text(field(doc, 'title'), 'title', 200),
    employeeNumber: text(field(enterprise, 'employeeNumber'), 'employeeNumber', 100),
    managerId: managerIdOf(field(enterprise, 'manager')),
    scimJson: JSON.stringify(kept),
    password: typeof password === 'string' && password !== '' ? password : undefined,
    licenses,
  };
}

/** userName is set once: a replace or patch may repeat it (in any case), never change it. */
export function assertSameUserName(current: string, asked: string) {
  if (asked.toLowerCase() !== current.toLowerCase()) {
    throw mutability(`userName is immutable: it stays ${current}`);
  }
}

/** Roster's user field names as SCIM attribute names, for error messages. */
export const SCIM_ATTRIBUTE_OF: Record<string, string> = {
  username: 'userName',
  firstName: 'name.givenName',
  lastName: 'name.familyName',
  email: 'emails',
  phone: 'phoneNumbers',
  department: `${ENTERPRISE_SCHEMA}:department`,
  enabled: 'active',
  timeZone: 'timezone',
  language: 'preferredLanguage',
  password: 'password',
  accessType: `${ROSTER_SCHEMA}:accessType`,
  authMethod: `${ROSTER_SCHEMA}:authMethod`,
  agentId: `${ROSTER_SCHEMA}:agentId`,
  ringTo: `${ROSTER_SCHEMA}:ringTo`,
  reportingAccess: `${ROSTER_SCHEMA}:reportingAccess`,
  audioAccess: `${ROSTER_SCHEMA}:audioAccess`,
  scoringAccess: `${ROSTER_SCHEMA}:scoringAccess`,
};
