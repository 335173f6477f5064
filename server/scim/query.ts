// The query parameters every SCIM read shares (RFC 7644 3.4.2 and 3.9): which attributes to return or leave out,
// and how to sort; and the projection of a resource onto them.
import { parseAttrPath } from './filter.js';
import { EXTENSIONS } from './schema.js';
import type { JsonObject } from './user-resource.js';

export interface ListQuery {
  attributes?: string;
  excludedAttributes?: string;
  sortBy?: string;
  sortOrder?: string;
}

/** Attributes every response carries whatever was asked (returned "always"). */
const ALWAYS: Record<'User' | 'Group', string[]> = { User: ['id', 'userName'], Group: ['id', 'displayName'] };

interface Wanted {
  /** Schema URN (an extension) or null for the core schema. */
  container: string | null;
  attribute: string;
  sub: string | null;
}

function wantedList(text: string | undefined, type: 'User' | 'Group'): Wanted[] {
  if (!text) return [];
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const whole = EXTENSIONS[type].find((urn) => urn.toLowerCase() === part.toLowerCase());
      if (whole) return { container: null, attribute: whole, sub: null };
      const path = parseAttrPath(part);
      const extension = path.schema
        ? (EXTENSIONS[type].find((urn) => urn.toLowerCase() === path.schema?.toLowerCase()) ?? null)
        : null;
      return { container: extension, attribute: path.attribute, sub: path.subAttribute };
    });
}

/** Whether the response should hold the attribute (used to skip reading a group's members). */
export function wants(query: ListQuery, type: 'User' | 'Group', attribute: string): boolean {
  const lower = attribute.toLowerCase();
  const asked = wantedList(query.attributes, type);
  if (asked.length > 0) return asked.some((w) => w.container === null && w.attribute.toLowerCase() === lower);
  return !wantedList(query.excludedAttributes, type).some(
    (w) => w.container === null && w.attribute.toLowerCase() === lower && w.sub === null,
  );
}

const keyIn = (object: JsonObject, name: string) =>
  Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());

/** The resource with only the attributes asked for, or without those left out. */
export function project(resource: JsonObject, type: 'User' | 'Group', query: ListQuery): JsonObject {
  const asked = wantedList(query.attributes, type);
  const excluded = wantedList(query.excludedAttributes, type);
  if (asked.length === 0 && excluded.length === 0) return resource;
  const always = new Set(['schemas', ...ALWAYS[type]].map((a) => a.toLowerCase()));
  if (asked.length > 0) {
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(resource)) if (always.has(key.toLowerCase())) out[key] = value;
    for (const w of asked) copy(resource, out, w);
    return out;
  }
  const out = structuredClone(resource);
  for (const w of excluded) {
    const holder = w.container ? (out[keyIn(out, w.container) ?? ''] as JsonObject | undefined) : out;
    if (!holder || typeof holder !== 'object') continue;
    const key = keyIn(holder, w.attribute);
    if (!key || (holder === out && always.has(key.toLowerCase()))) continue;
    if (w.sub && holder[key] && typeof holder[key] === 'object' && !Array.isArray(holder[key])) {
      const inner = holder[key] as JsonObject;
      const subKey = keyIn(inner, w.sub);
      if (subKey) delete inner[subKey];
    } else if (!w.sub) delete holder[key];
  }
  return out;
}

function copy(from: JsonObject, to: JsonObject, w: Wanted) {
  let source = from;
  let target = to;
  if (w.container) {
    const key = keyIn(from, w.container);
    if (!key) return;
    source = from[key] as JsonObject;
    to[key] = (to[key] as JsonObject | undefined) ?? {};
    target = to[key] as JsonObject;
  }
  const key = keyIn(source, w.attribute);
  if (!key) return;
  const value = source[key];
  if (!w.sub || value === null || typeof value !== 'object') {
    target[key] = value as JsonObject[string];
    return;
  }
  if (Array.isArray(value)) {
    target[key] = value.map((entry) => {
      const e = entry as JsonObject;
      const subKey = keyIn(e, w.sub as string);
      return subKey ? { [subKey]: e[subKey] as JsonObject[string] } : {};
    });
    return;
  }
  const subKey = keyIn(value as JsonObject, w.sub);
  if (!subKey) return;
  target[key] = {
    ...((target[key] as JsonObject | undefined) ?? {}),
    [subKey]: (value as JsonObject)[subKey] as JsonObject[string],
  };
}
