// Which field each column of a file fills: by the header row's names when there is one, else the seed's order.
import {
  ALL_IMPORT_FIELDS,
  IMPORT_FIELDS,
  type ImportField,
  type ImportMapping,
} from '../../../shared/import-schemas.js';
import type { Cell } from './sheet.js';

const fold = (text: string) =>
  text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');

/** Header names (folded) each field answers to, in English, Spanish and Portuguese. */
const HEADER_NAMES: Record<ImportField, string[]> = {
  username: ['username', 'user', 'login', 'usuario', 'nombredeusuario', 'userid'],
  fullName: ['fullname', 'name', 'nombre', 'nombrecompleto', 'nome', 'nomecompleto', 'displayname'],
  firstName: ['firstname', 'givenname', 'primernombre'],
  lastName: ['lastname', 'surname', 'familyname', 'apellido', 'apellidos', 'sobrenome'],
  email: ['email', 'emailaddress', 'mail', 'correo', 'correoelectronico'],
  profile: ['profile', 'perfil'],
  validFrom: ['validfrom', 'validdate', 'valid', 'fechadevalidez', 'validodesde', 'validesde'],
  expiresAt: ['expiration', 'expirationdate', 'expires', 'expiresat', 'expiry', 'vencimiento', 'expiracion'],
  timeZone: ['timezone', 'tz', 'zonahoraria', 'fusohorario'],
  language: ['language', 'lang', 'locale', 'idioma', 'lingua'],
  phone: ['phone', 'phonenumber', 'extension', 'ext', 'telephone', 'telefono', 'interno', 'number'],
  password: ['password', 'contrasena', 'clave', 'senha'],
  department: ['department', 'departamento'],
};

const BY_NAME = new Map<string, ImportField>();
for (const field of ALL_IMPORT_FIELDS) for (const name of HEADER_NAMES[field]) BY_NAME.set(name, field);

export function fieldForHeader(cell: Cell): ImportField | null {
  return typeof cell === 'string' ? (BY_NAME.get(fold(cell)) ?? null) : null;
}

/** A first row is a header when it names Username and at least one other field. */
export function looksLikeHeader(first: Cell[]): boolean {
  const fields = first.map(fieldForHeader);
  return fields.includes('username') && fields.filter((f) => f !== null).length >= 2;
}

export function mappingFromHeader(header: Cell[]): ImportMapping {
  const used = new Set<ImportField>();
  return header.map((cell) => {
    const field = fieldForHeader(cell);
    if (!field || used.has(field)) return null;
    used.add(field);
    return field;
  });
}

/** Without a header the columns are the seed's fields in order; extra columns are ignored. */
export function mappingByPosition(width: number): ImportMapping {
  return Array.from({ length: width }, (_, i) => IMPORT_FIELDS[i] ?? null);
}
