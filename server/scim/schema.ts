// What Roster's SCIM service supports, described as RFC 7643 (sections 5-7) and RFC 7644 (section 4) ask: the
// service provider's configuration, the resource types and the schemas with every attribute's characteristics.
// Identity providers read these documents; they say only what is true of the routes in server/routes/scim.ts.
import { APP_KEYS } from '../../shared/access.js';
import { ACCESS_TYPES, AUTH_METHODS } from '../../shared/constants.js';
import { AUDIO_ACCESS, REPORTING_ACCESS, SCORING_ACCESS } from '../../shared/organization-schemas.js';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** Roster's own attributes of a user (access type, licenses, call tracking). */
export const ROSTER_SCHEMA = 'urn:roster:params:scim:schemas:extension:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** The most resources one list response holds; a larger `count` is lowered to it (RFC 7644 3.4.2.4). */
export const MAX_RESULTS = 200;
/** The largest request body, in bytes. */
export const MAX_BODY = 1024 * 1024;
/** The most operations one PATCH request may carry. */
export const MAX_OPERATIONS = 1000;

type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
type Returned = 'always' | 'never' | 'default' | 'request';

interface Attribute {
  name: string;
  type: 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex';
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: Attribute[];
}

interface Options {
  type?: Attribute['type'];
  multi?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: Mutability;
  returned?: Returned;
  uniqueness?: Attribute['uniqueness'];
  canonical?: string[];
  references?: string[];
  sub?: Attribute[];
}

function attr(name: string, description: string, o: Options = {}): Attribute {
  return {
    name,
    type: o.type ?? (o.sub ? 'complex' : 'string'),
    multiValued: o.multi ?? false,
    description,
    required: o.required ?? false,
    caseExact: o.caseExact ?? false,
    mutability: o.mutability ?? 'readWrite',
    returned: o.returned ?? 'default',
    uniqueness: o.uniqueness ?? 'none',
    ...(o.canonical ? { canonicalValues: o.canonical } : {}),
    ...(o.references ? { referenceTypes: o.references } : {}),
    ...(o.sub ? { subAttributes: o.sub } : {}),
  };
}

const typed = (what: string, types: string[], extra: Attribute[] = []) => [
  attr('value', `The ${what}`),
  attr('display', 'A label for display'),
  attr('type', 'Its kind', { canonical: types }),
  attr('primary', 'The primary one', { type: 'boolean' }),
  ...extra,
];

const USER_ATTRIBUTES: Attribute[] = [
  attr('userName', "Roster's username: lower-cased, letters, digits and . _ @ + - only; set once", {
    required: true,
    mutability: 'immutable',
    uniqueness: 'server',
    returned: 'always',
  }),
  attr('name', "The user's name", {
    sub: [
      attr('formatted', 'The full name'),
      attr('familyName', 'Last name'),
      attr('givenName', 'First name'),
      attr('middleName', 'Middle name'),
      attr('honorificPrefix', 'Prefix such as Ms.'),
      attr('honorificSuffix', 'Suffix such as III'),
    ],
  }),
  attr('displayName', 'The name shown for the user'),
  attr('nickName', 'A casual name'),
  attr('profileUrl', 'A page about the user', { type: 'reference', references: ['external'] }),
  attr('title', 'Job title'),
  attr('userType', 'The kind of employment'),
  attr('preferredLanguage', "The console's language for the user (a language tag such as en or pt-BR)"),
  attr('locale', 'Where the user is, for formats'),
  attr('timezone', 'An IANA time zone such as Europe/Rome'),
  attr('active', 'Whether the user may sign in (Roster: enabled)', { type: 'boolean' }),
  attr('password', "A password for Roster's own sign-in; the account's password policy applies", {
    mutability: 'writeOnly',
    returned: 'never',
  }),
  attr('emails', 'Email addresses; Roster signs in and mails with the primary one (or the work one, or the first)', {
    multi: true,
    sub: typed('email address', ['work', 'home', 'other']),
  }),
  attr('phoneNumbers', 'Phone numbers; Roster dials the primary one (or the work one, or the first)', {
    multi: true,
    sub: typed('phone number', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
  }),
  attr('addresses', 'Postal addresses', {
    multi: true,
    sub: [
      attr('formatted', 'The full address'),
      attr('streetAddress', 'Street'),
      attr('locality', 'City'),
      attr('region', 'State or region'),
      attr('postalCode', 'Postal code'),
      attr('country', 'Country (ISO 3166-1 alpha-2)'),
      attr('type', 'Its kind', { canonical: ['work', 'home', 'other'] }),
      attr('primary', 'The primary one', { type: 'boolean' }),
    ],
  }),
  attr('groups', 'The Roster groups (teams) the user is a member of; change them through Groups', {
    multi: true,
    mutability: 'readOnly',
    sub: [
      attr('value', 'The group id', { mutability: 'readOnly' }),
      attr('$ref', 'The group', { type: 'reference', references: ['Group'], mutability: 'readOnly' }),
      attr('display', 'The group name', { mutability: 'readOnly' }),
      attr('type', 'direct', { mutability: 'readOnly', canonical: ['direct'] }),
    ],
  }),
];

const ENTERPRISE_ATTRIBUTES: Attribute[] = [
  attr('employeeNumber', 'Employee number'),
  attr('costCenter', 'Cost center'),
  attr('organization', 'Organization'),
  attr('division', 'Division'),
  attr('department', "Roster's department (created when new)"),
  attr('manager', "The user's manager, a user of the same account", {
    sub: [
      attr('value', "The manager's id"),
      attr('$ref', 'The manager', { type: 'reference', references: ['User'] }),
      attr('displayName', "The manager's name", { mutability: 'readOnly' }),
    ],
  }),
];

const ROSTER_ATTRIBUTES: Attribute[] = [
  attr('accessType', "Roster's access type", {
    canonical: [...ACCESS_TYPES],
  }),
  attr('authMethod', 'How the user signs in', { canonical: [...AUTH_METHODS] }),
  attr('source', 'Where the user came from (scim for users created here)', { mutability: 'readOnly' }),
  attr('syncEnabled', "Whether provisioning changes reach this user (off: Roster's admins keep them)", {
    type: 'boolean',
    mutability: 'readOnly',
  }),
  attr('licenses', "The applications the user holds a license of (the account's pools apply)", {
    multi: true,
    canonical: [...APP_KEYS],
  }),
  attr('agentId', 'Call tracking: agent id'),
  attr('ringTo', 'Call tracking: ring-to number'),
  attr('scoringEnabled', 'Call tracking: scoring', { type: 'boolean' }),
  attr('roamingAgent', 'Call tracking: roaming agent', { type: 'boolean' }),
  attr('reportingAccess', 'Call tracking: reporting access', { canonical: [...REPORTING_ACCESS] }),
  attr('audioAccess', 'Call tracking: audio access', { canonical: [...AUDIO_ACCESS] }),
  attr('scoringAccess', 'Call tracking: scoring access', { canonical: [...SCORING_ACCESS] }),
];

const GROUP_ATTRIBUTES: Attribute[] = [
  attr('displayName', "The group's name, unique among its siblings in Roster's group tree", {
    required: true,
    uniqueness: 'server',
    returned: 'always',
  }),
  attr('members', 'The users in the group (Roster: team members)', {
    multi: true,
    sub: [
      attr('value', "The member's id", { mutability: 'immutable' }),
      attr('$ref', 'The member', { type: 'reference', references: ['User'], mutability: 'immutable' }),
      attr('display', "The member's name", { mutability: 'readOnly' }),
      attr('type', 'User', { mutability: 'immutable', canonical: ['User'] }),
    ],
  }),
];

export function serviceProviderConfig(base: string) {
  return {
    schemas: [CONFIG_SCHEMA],
    documentationUri: `${base.replace(/\/scim\/v2$/, '')}/api/docs`,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'A token an admin creates on the Provisioning page of the console, sent as Authorization: Bearer',
        primary: true,
      },
    ],
    meta: { location: `${base}/ServiceProviderConfig`, resourceType: 'ServiceProviderConfig' },
  };
}

export function resourceTypes(base: string) {
  return [
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'A person of the account',
      schema: USER_SCHEMA,
      schemaExtensions: [
        { schema: ENTERPRISE_SCHEMA, required: false },
        { schema: ROSTER_SCHEMA, required: false },
      ],
      meta: { location: `${base}/ResourceTypes/User`, resourceType: 'ResourceType' },
    },
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: "A group of Roster's group tree (a team), with its members",
      schema: GROUP_SCHEMA,
      meta: { location: `${base}/ResourceTypes/Group`, resourceType: 'ResourceType' },
    },
  ];
}

export function schemas(base: string) {
  const schema = (id: string, name: string, description: string, attributes: Attribute[]) => ({
    schemas: [SCHEMA_SCHEMA],
    id,
    name,
    description,
    attributes,
    meta: { location: `${base}/Schemas/${id}`, resourceType: 'Schema' },
  });
  return [
    schema(USER_SCHEMA, 'User', 'User Account', USER_ATTRIBUTES),
    schema(ENTERPRISE_SCHEMA, 'EnterpriseUser', 'Enterprise User', ENTERPRISE_ATTRIBUTES),
    schema(ROSTER_SCHEMA, 'RosterUser', "Roster's own attributes of a user", ROSTER_ATTRIBUTES),
    schema(GROUP_SCHEMA, 'Group', 'Group', GROUP_ATTRIBUTES),
  ];
}

/** A list response (RFC 7644 3.4.2). */
export function listResponse<T>(resources: T[], totalResults: number, startIndex: number) {
  return { schemas: [LIST_SCHEMA], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** What PATCH needs to know of an attribute: whether it holds many values or sub-attributes, and who writes it. */
export interface AttributeInfo {
  name: string;
  multiValued: boolean;
  complex: boolean;
  mutability: Mutability;
}

const RESOURCE_SCHEMAS: Record<'User' | 'Group', Record<string, Attribute[]>> = {
  User: {
    [USER_SCHEMA]: USER_ATTRIBUTES,
    [ENTERPRISE_SCHEMA]: ENTERPRISE_ATTRIBUTES,
    [ROSTER_SCHEMA]: ROSTER_ATTRIBUTES,
  },
  Group: { [GROUP_SCHEMA]: GROUP_ATTRIBUTES },
};

/** The schemas a resource type has beside its core one. */
export const EXTENSIONS: Record<'User' | 'Group', string[]> = { User: [ENTERPRISE_SCHEMA, ROSTER_SCHEMA], Group: [] };

/** An attribute of the resource type's schema (`schema` null: the core one), found without case; null if unknown. */
export function attributeInfo(type: 'User' | 'Group', schema: string | null, name: string): AttributeInfo | null {
  // The attributes every resource has (RFC 7643 3.1).
  if (schema === null) {
    const lower = name.toLowerCase();
    if (lower === 'externalid')
      return { name: 'externalId', multiValued: false, complex: false, mutability: 'readWrite' };
    if (lower === 'id' || lower === 'meta')
      return { name, multiValued: false, complex: lower === 'meta', mutability: 'readOnly' };
  }
  const core = type === 'User' ? USER_SCHEMA : GROUP_SCHEMA;
  const urn = Object.keys(RESOURCE_SCHEMAS[type]).find((s) => s.toLowerCase() === (schema ?? core).toLowerCase());
  if (!urn) return null;
  const found = RESOURCE_SCHEMAS[type][urn]?.find((a) => a.name.toLowerCase() === name.toLowerCase());
  if (!found) return null;
  return {
    name: found.name,
    multiValued: found.multiValued,
    complex: found.type === 'complex',
    mutability: found.mutability,
  };
}
