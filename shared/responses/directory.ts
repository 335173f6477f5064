// Response schemas of directory connections (never the bind password) and of a connection test.
import { z } from 'zod';
import { DIRECTORY_TEST_STEPS, DIRECTORY_VENDORS } from '../directory-schemas.js';

const attribute = z.string().nullable();

export const AttributeMappingSchema = z
  .object({
    username: attribute,
    firstName: attribute,
    lastName: attribute,
    email: attribute,
    phone: attribute,
    department: attribute,
    externalId: attribute,
    groupName: attribute,
    groupMember: attribute,
    memberOf: attribute,
  })
  .meta({ id: 'DirectoryAttributeMapping' });

export const DirectoryConnectionSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    url: z.string(),
    startTls: z.boolean().describe('ldap:// upgraded with StartTLS before the bind (always false for ldaps://)'),
    caCertificate: z.string().nullable(),
    bindDn: z.string(),
    bindPasswordSet: z.boolean().describe('Whether a bind password is stored; the password itself is never returned'),
    usersBaseDn: z.string(),
    usersFilter: z.string(),
    groupsBaseDn: z.string(),
    groupsFilter: z.string(),
    vendor: z.enum(DIRECTORY_VENDORS),
    attributes: AttributeMappingSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'DirectoryConnection' });
export type DirectoryConnection = z.output<typeof DirectoryConnectionSchema>;

export const DirectoryConnectionListSchema = z.object({ items: z.array(DirectoryConnectionSchema) });

export const DirectoryTestResultSchema = z
  .object({
    ok: z.boolean(),
    failedStep: z
      .enum(DIRECTORY_TEST_STEPS)
      .nullable()
      .describe('filter, dns, tcp, tls, bind, baseDn or search: the step that failed (null when all passed)'),
    reason: z
      .string()
      .nullable()
      .describe('A stable code for the failure, such as HostNotFound, CertificateNotTrusted, InvalidCredentials'),
    field: z.string().nullable().describe('The setting the failure is about (url, bindPassword, usersBaseDn...)'),
    message: z.string(),
    users: z.number().int().nullable().describe('Entries the users filter sees under the users base DN'),
    groups: z.number().int().nullable().describe('Entries the groups filter sees under the groups base DN'),
    elapsedMs: z.number().int(),
  })
  .meta({ id: 'DirectoryTestResult' });
export type DirectoryTestResult = z.output<typeof DirectoryTestResultSchema>;
