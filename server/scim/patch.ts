// SCIM PATCH (RFC 7644, section 3.5.2) applied to a resource's JSON document, as the RFC says and as the large
// identity providers send it: op names in any case ("Replace"), paths with value filters
// (`emails[type eq "work"].value`, which adds the value when none matches yet), no path with an object whose keys are
// dotted (`name.givenName`) or schema-qualified, multi-valued add and remove, and empty strings and nulls that clear.
// The patched document is then read as a whole, as a replace would be (see user-resource.ts).
import { invalidPath, invalidSyntax, invalidValue, mutability, noTarget } from './errors.js';
import { type CompareValue, type Filter, type PatchPath, parsePatchPath } from './filter.js';
import { attributeInfo, EXTENSIONS, MAX_OPERATIONS, PATCH_SCHEMA } from './schema.js';
import { field, type Json, type JsonObject } from './user-resource.js';

export type PatchOp = 'add' | 'remove' | 'replace';

export interface PatchOperation {
  op: PatchOp;
  /** The path as written, or null when the operation has none. */
  rawPath: string | null;
  path: PatchPath | null;
  value: Json | undefined;
}

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads a PatchOp request body: its schema, and 1 to MAX_OPERATIONS operations, each checked. */
export function readPatchRequest(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw invalidSyntax('The body must be a PatchOp object');
  const schemas = field(body, 'schemas');
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_SCHEMA.toLowerCase())
  ) {
    throw invalidSyntax(`schemas must hold ${PATCH_SCHEMA}`);
  }
  const operations = field(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) throw invalidSyntax('Operations must be a non-empty list');
  if (operations.length > MAX_OPERATIONS) throw invalidSyntax(`At most ${MAX_OPERATIONS} operations in one request`);
  return operations.map((operation, index) => {
    if (!isObject(operation)) throw invalidSyntax(`Operations[${index}] must be an object`);
    const op = String(field(operation, 'op') ?? '').toLowerCase();
    if (op !== 'add' && op !== 'remove' && op !== 'replace') {
      throw invalidSyntax(`Operations[${index}].op must be add, remove or replace`);
    }
    const rawPath = field(operation, 'path');
    if (rawPath !== undefined && rawPath !== null && typeof rawPath !== 'string') {
      throw invalidPath(`Operations[${index}].path must be a string`);
    }
    const value = field(operation, 'value');
    const path = typeof rawPath === 'string' && rawPath.trim() !== '' ? parsePatchPath(rawPath.trim()) : null;
    if (!path && op === 'remove') throw noTarget(`Operations[${index}]: remove needs a path`);
    if (!path && !isObject(value)) throw invalidValue(`Operations[${index}]: without a path, value must be an object`);
    if (op !== 'remove' && value === undefined) throw invalidValue(`Operations[${index}]: ${op} needs a value`);
    return { op, rawPath: typeof rawPath === 'string' ? rawPath.trim() : null, path, value };
  });
}

/** The extension object a URN names (`urn:...:enterprise:2.0:User`), when the whole path is one. */
function extensionNamed(type: 'User' | 'Group', text: string): string | null {
  return EXTENSIONS[type].find((urn) => urn.toLowerCase() === text.toLowerCase()) ?? null;
}

/** The key of `name` in `object` as it is already written, or `name` itself. */
function keyOf(object: JsonObject, name: string): string {
  const lower = name.toLowerCase();
  return Object.keys(object).find((key) => key.toLowerCase() === lower) ?? name;
}

/** Applies the operations to a copy of the document, in order; the document is the resource as it is now. */
export function applyPatch(type: 'User' | 'Group', document: JsonObject, operations: PatchOperation[]): JsonObject {
  const doc = structuredClone(document);
  for (const operation of operations) {
    if (operation.path) {
      applyAt(type, doc, operation.op, operation.path, operation.rawPath as string, operation.value);
    } else {
      for (const [key, value] of Object.entries(operation.value as JsonObject)) {
        // Okta repeats the resource's id (and some clients its schemas) in a replace: the same id is no change.
        if (/^(schemas|meta)$/i.test(key)) continue;
        if (/^id$/i.test(key)) {
          if (String(value) !== String(doc.id)) throw mutability('id is read-only');
          continue;
        }
        const urn = extensionNamed(type, key);
        if (urn && isObject(value)) {
          for (const [inner, innerValue] of Object.entries(value)) {
            applyAt(type, doc, operation.op, parsePatchPath(`${urn}:${inner}`), `${urn}:${inner}`, innerValue);
          }
        } else {
          applyAt(type, doc, operation.op, parsePatchPath(key), key, value);
        }
      }
    }
  }
  return doc;
}

function applyAt(
  type: 'User' | 'Group',
  doc: JsonObject,
  op: PatchOp,
  path: PatchPath,
  raw: string,
  value: Json | undefined,
) {
  const core = path.path.schema === null || !extensionNamed(type, path.path.schema);
  // A path naming a whole extension ("urn:...:enterprise:2.0:User") reads as schema "urn:...:2.0", attribute "User".
  const whole = extensionNamed(type, raw);
  if (whole) {
    if (op === 'remove') delete doc[keyOf(doc, whole)];
    else if (!isObject(value)) throw invalidValue(`${raw} takes an object`);
    else {
      for (const [inner, innerValue] of Object.entries(value)) {
        applyAt(type, doc, op, parsePatchPath(`${whole}:${inner}`), `${whole}:${inner}`, innerValue);
      }
    }
    return;
  }
  const info = attributeInfo(type, path.path.schema, path.path.attribute);
  if (!info) throw invalidPath(`${raw}: there is no such attribute`);
  if (info.mutability === 'readOnly') throw mutability(`${raw} is read-only`);
  let container = doc;
  if (!core) {
    const urn = extensionNamed(type, path.path.schema as string) as string;
    const key = keyOf(doc, urn);
    if (!isObject(doc[key])) doc[key] = {};
    container = doc[key] as JsonObject;
  }
  const key = keyOf(container, info.name);
  const sub = path.filter ? path.subAttribute : path.path.subAttribute;

  if (path.filter) {
    if (!info.multiValued) throw invalidPath(`${raw}: a value filter needs a multi-valued attribute`);
    const list = Array.isArray(container[key]) ? (container[key] as Json[]) : [];
    const matching = list.filter((entry) => isObject(entry) && matches(entry, path.filter as Filter));
    if (op === 'remove') {
      if (matching.length === 0) throw noTarget(`${raw} matches no value`);
      container[key] = sub
        ? list.map((entry) => {
            if (!matching.includes(entry)) return entry;
            const copy = { ...(entry as JsonObject) };
            delete copy[keyOf(copy, sub)];
            return copy;
          })
        : list.filter((entry) => !matching.includes(entry));
      return;
    }
    if (matching.length === 0) {
      // Entra ID replaces `emails[type eq "work"].value` before any work email exists: the value is added, with
      // the equalities of the filter as its other sub-attributes.
      const created: JsonObject = { ...equalities(path.filter, raw) };
      if (sub) created[sub] = value as Json;
      else if (isObject(value)) Object.assign(created, value);
      else throw invalidValue(`${raw} takes an object`);
      container[key] = [...list, created];
      return;
    }
    for (const entry of matching as JsonObject[]) {
      if (sub) entry[keyOf(entry, sub)] = value as Json;
      else if (isObject(value)) Object.assign(entry, value);
      else throw invalidValue(`${raw} takes an object`);
    }
    return;
  }

  if (sub) {
    if (!info.complex) throw invalidPath(`${raw}: ${info.name} has no sub-attributes`);
    if (info.multiValued) {
      // `emails.value`: every value's sub-attribute.
      const list = Array.isArray(container[key]) ? (container[key] as Json[]) : [];
      if (op === 'remove') container[key] = list.map((e) => (isObject(e) ? omit(e, sub) : e));
      else container[key] = list.map((e) => (isObject(e) ? { ...e, [keyOf(e, sub)]: value as Json } : e));
      return;
    }
    const current = isObject(container[key]) ? (container[key] as JsonObject) : {};
    if (op === 'remove') container[key] = omit(current, sub);
    else container[key] = { ...current, [keyOf(current, sub)]: value as Json };
    return;
  }

  if (op === 'remove') {
    if (info.multiValued && value !== undefined && value !== null) {
      // Remove the listed values only (Entra ID and Okta remove group members this way).
      const wanted = new Set((Array.isArray(value) ? value : [value]).map((v) => entryValue(v)));
      const list = Array.isArray(container[key]) ? (container[key] as Json[]) : [];
      container[key] = list.filter((entry) => !wanted.has(entryValue(entry)));
      return;
    }
    delete container[key];
    return;
  }
  if (info.multiValued) {
    const values = value === null ? [] : Array.isArray(value) ? value : [value as Json];
    if (op === 'replace') container[key] = values;
    else {
      // Add: values already there (same value) are not repeated.
      const list = Array.isArray(container[key]) ? [...(container[key] as Json[])] : [];
      for (const entry of values) {
        const at = list.findIndex((e) => entryValue(e) !== undefined && entryValue(e) === entryValue(entry));
        if (at >= 0 && isObject(list[at]) && isObject(entry)) list[at] = { ...(list[at] as JsonObject), ...entry };
        else if (at < 0) list.push(entry);
      }
      container[key] = list;
    }
    return;
  }
  if (info.complex && isObject(value) && isObject(container[key])) {
    // A complex attribute: the sub-attributes given replace those there, the others stay.
    container[key] = { ...(container[key] as JsonObject), ...value };
    return;
  }
  container[key] = value as Json;
}

function omit(object: JsonObject, name: string): JsonObject {
  const copy = { ...object };
  delete copy[keyOf(copy, name)];
  return copy;
}

const entryValue = (entry: Json): string | undefined => {
  const value = isObject(entry) ? field(entry, 'value') : entry;
  return value === undefined || value === null ? undefined : String(value).toLowerCase();
};

/** `type eq "work" and primary eq true` as {type: "work", primary: true}: what a new value must hold to match. */
function equalities(filter: Filter, raw: string): JsonObject {
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.path.subAttribute === null) {
    return { [filter.path.attribute]: filter.value };
  }
  if (filter.kind === 'and') return { ...equalities(filter.left, raw), ...equalities(filter.right, raw) };
  throw noTarget(`${raw} matches no value`);
}

/** Whether one value of a multi-valued attribute matches a value filter (compared without case). */
export function matches(entry: JsonObject, filter: Filter): boolean {
  switch (filter.kind) {
    case 'and':
      return matches(entry, filter.left) && matches(entry, filter.right);
    case 'or':
      return matches(entry, filter.left) || matches(entry, filter.right);
    case 'not':
      return !matches(entry, filter.filter);
    case 'valuePath':
      return false;
    case 'present': {
      const value = field(entry, filter.path.attribute);
      return value !== undefined && value !== null && value !== '';
    }
    case 'compare':
      return compareValues(field(entry, filter.path.attribute), filter.op, filter.value);
  }
}

function compareValues(actual: Json | undefined, op: string, wanted: CompareValue): boolean {
  if (wanted === null)
    return op === 'eq' ? actual === undefined || actual === null : actual !== undefined && actual !== null;
  if (actual === undefined || actual === null) return op === 'ne';
  if (typeof wanted === 'boolean' || typeof actual === 'boolean') {
    const a = String(actual).toLowerCase();
    const w = String(wanted).toLowerCase();
    return op === 'eq' ? a === w : op === 'ne' ? a !== w : false;
  }
  const a = String(actual).toLowerCase();
  const w = String(wanted).toLowerCase();
  switch (op) {
    case 'eq':
      return a === w;
    case 'ne':
      return a !== w;
    case 'co':
      return a.includes(w);
    case 'sw':
      return a.startsWith(w);
    case 'ew':
      return a.endsWith(w);
    case 'gt':
      return a > w;
    case 'ge':
      return a >= w;
    case 'lt':
      return a < w;
    case 'le':
      return a <= w;
  }
  return false;
}
