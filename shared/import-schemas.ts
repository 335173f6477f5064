// Import vocabulary and inputs shared by the API and the console: the columns a file may carry, the mapping of
// a file's columns to them, and the choices an admin makes before importing.
import { z } from 'zod';

export const MAX_IMPORT_BYTES = 50 * 1024 * 1024;
export const IMPORT_FORMATS = ['csv', 'tsv', 'txt', 'xlsx', 'xlsm', 'ods', 'fods'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
/** The file picker's list: every format the importer reads. */
export const IMPORT_ACCEPT = IMPORT_FORMATS.map((format) => `.${format}`).join(',');
export const isTextFormat = (format: string) => format === 'csv' || format === 'tsv' || format === 'txt';

/** Encodings a text file may be read in: detected on upload, or chosen by the admin when the preview looks wrong. */
export const TEXT_ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'windows-1252', 'iso-8859-1'] as const;
export type TextEncoding = (typeof TEXT_ENCODINGS)[number];
export const TEXT_ENCODING_LABELS: Record<TextEncoding, string> = {
  'utf-8': 'UTF-8',
  'utf-16le': 'UTF-16 (little-endian)',
  'utf-16be': 'UTF-16 (big-endian)',
  'windows-1252': 'Windows-1252 (Western European)',
  'iso-8859-1': 'ISO-8859-1 (Latin-1)',
};
export const textEncodingSchema = z.enum(TEXT_ENCODINGS);

/** Seed order: the columns of a file without a header row, in this order (a blank cell skips the field). */
export const IMPORT_FIELDS = [
  'username',
  'fullName',
  'email',
  'profile',
  'validFrom',
  'expiresAt',
  'timeZone',
  'language',
  'phone',
  'password',
] as const;
/** Fields a header row may name besides the seed's (so an export reads back). */
export const EXTRA_IMPORT_FIELDS = ['firstName', 'lastName', 'department'] as const;
export const ALL_IMPORT_FIELDS = [...IMPORT_FIELDS, ...EXTRA_IMPORT_FIELDS] as const;
export type ImportField = (typeof ALL_IMPORT_FIELDS)[number];

export const IMPORT_FIELD_LABELS: Record<ImportField, string> = {
  username: 'Username',
  fullName: 'Full Name',
  email: 'Email',
  profile: 'Profile',
  validFrom: 'Valid from',
  expiresAt: 'Expiration',
  timeZone: 'Time zone',
  language: 'Language',
  phone: 'Phone',
  password: 'Password',
  firstName: 'First name',
  lastName: 'Last name',
  department: 'Department',
};

export const IMPORT_MODES = ['create', 'upsert'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

export const IMPORT_STATUSES = ['ready', 'running', 'done', 'failed', 'cancelled'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** One entry per column of the file: the field it fills, or null to ignore the column. */
export const importMappingSchema = z
  .array(z.enum(ALL_IMPORT_FIELDS).nullable())
  .max(200, 'At most 200 columns')
  .superRefine((mapping, ctx) => {
    const seen = new Set<string>();
    mapping.forEach((field, index) => {
      if (!field) return;
      if (seen.has(field)) ctx.addIssue({ code: 'custom', path: [index], message: `${field} is mapped twice` });
      seen.add(field);
    });
    if (!seen.has('username')) ctx.addIssue({ code: 'custom', path: [], message: 'Map a column to Username' });
    if (!seen.has('fullName') && !seen.has('firstName')) {
      ctx.addIssue({ code: 'custom', path: [], message: 'Map a column to Full Name' });
    }
  });
export type ImportMapping = z.output<typeof importMappingSchema>;

export const importPreviewUpdateSchema = z.object({
  hasHeader: z.boolean().optional(),
  mapping: importMappingSchema.optional(),
  mode: z.enum(IMPORT_MODES).optional(),
});
export type ImportPreviewUpdate = z.output<typeof importPreviewUpdateSchema>;

export const importRereadSchema = z.object({ encoding: textEncodingSchema });

export const importStartSchema = z.object({
  mode: z.enum(IMPORT_MODES).default('create'),
  /** false (default): one bad row writes nothing. true: import the good rows, hand the bad ones back. */
  partial: z.boolean().default(false),
  /** Mail every created user who has an email an invitation to choose their password (sent after commit). */
  sendInvitations: z.boolean().default(false),
});
export type ImportStart = z.output<typeof importStartSchema>;

export const importSettingsSchema = z
  .object({
    extensionFirst: z.number().int().min(0).max(999_999_999),
    extensionLast: z.number().int().min(0).max(999_999_999),
  })
  .refine((value) => value.extensionFirst <= value.extensionLast, {
    message: 'The range must not end before it starts',
    path: ['extensionLast'],
  });
export type ImportSettings = z.output<typeof importSettingsSchema>;

export const exportFormatSchema = z.enum(['csv', 'xlsx']);
