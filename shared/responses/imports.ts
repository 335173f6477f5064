// Response schemas of imports: a job with its preview, problems and progress, and the import settings.
import { z } from 'zod';
import { ALL_IMPORT_FIELDS, IMPORT_MODES, TEXT_ENCODINGS } from '../import-schemas.js';

export const IMPORT_STATUSES = ['ready', 'running', 'done', 'failed', 'cancelled'] as const;

export const ImportProblemSchema = z.object({
  row: z.number().int(),
  column: z.string().nullable(),
  field: z.string().nullable(),
  code: z.string(),
  message: z.string(),
});
export type ImportProblem = z.output<typeof ImportProblemSchema>;

export const ImportJobSchema = z
  .object({
    id: z.number().int(),
    fileName: z.string(),
    format: z.string(),
    encoding: z
      .enum(TEXT_ENCODINGS)
      .nullable()
      .describe('The encoding a text file was read in (detected, or chosen); null for spreadsheets'),
    fileBytes: z.number().int(),
    status: z.enum(IMPORT_STATUSES),
    mode: z.enum(IMPORT_MODES),
    partial: z.boolean(),
    hasHeader: z.boolean(),
    headers: z.array(z.string()),
    mapping: z.array(z.enum(ALL_IMPORT_FIELDS).nullable()),
    preview: z.array(z.object({ row: z.number().int(), cells: z.array(z.string()) })),
    problems: z.array(ImportProblemSchema).describe('The first 1,000 problems; the bad-rows file has all'),
    counts: z.object({
      rows: z.number().int(),
      badRows: z.number().int(),
      problems: z.number().int(),
      toCreate: z.number().int(),
      toUpdate: z.number().int(),
    }),
    progress: z.object({
      phase: z.string(),
      processed: z.number().int(),
      total: z.number().int(),
      created: z.number().int(),
      updated: z.number().int(),
      skipped: z.number().int(),
    }),
    generatedPasswords: z.number().int(),
    passwordsAvailable: z.boolean(),
    message: z.string(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'ImportJob' });
export type ImportJob = z.output<typeof ImportJobSchema>;

export const ImportListSchema = z.object({ items: z.array(ImportJobSchema) });

export const ImportSettingsSchema = z
  .object({ extensionFirst: z.number().int(), extensionLast: z.number().int() })
  .meta({ id: 'ImportSettings' });
export type ImportSettings = z.output<typeof ImportSettingsSchema>;
