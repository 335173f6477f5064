// Input schemas of roles, licenses, chat settings, application keys and authorization decisions (API and console).
import { z } from 'zod';
import { APP_KEYS, CHAT_STATUSES, MAX_CHAT_LIMIT, ROLE_NAME_PATTERN, UNLIMITED_CHATS } from './access.js';
import { bodyId } from './ids.js';

const id = bodyId();

export const roleCreateSchema = z
  .object({
    application: z.enum(APP_KEYS, 'Choose an application'),
    name: z
      .string()
      .trim()
      .min(1, 'Name is required')
      .max(60, 'Must be at most 60 characters')
      .transform((value) => value.toUpperCase().replace(/[\s-]+/g, '_'))
      .refine((value) => ROLE_NAME_PATTERN.test(value), 'Use letters, digits and _ only, starting with a letter'),
    description: z.string().trim().max(300, 'Must be at most 300 characters').optional(),
    composite: z.boolean().optional(),
    children: z.array(id).max(200, 'At most 200 roles').optional(),
  })
  .strict()
  .refine((value) => value.composite || !value.children?.length, {
    message: 'Only a composite role contains other roles',
    path: ['children'],
  });
export type RoleCreateInput = z.input<typeof roleCreateSchema>;
export type RoleCreate = z.output<typeof roleCreateSchema>;

export const roleUpdateSchema = z
  .object({
    description: z.string().trim().max(300, 'Must be at most 300 characters').optional(),
    children: z.array(id).max(200, 'At most 200 roles').optional(),
  })
  .strict();
export type RoleUpdate = z.output<typeof roleUpdateSchema>;

export const userRolesSchema = z
  .object({ roleIds: z.array(id).min(1, 'Choose at least one role').max(200, 'At most 200 roles') })
  .strict();

export const chatSettingsSchema = z
  .object({
    status: z.enum(CHAT_STATUSES, 'Choose Available, Unavailable or Inactive').optional(),
    chatLimit: z
      .number('Enter a whole number')
      .int('Enter a whole number')
      .min(UNLIMITED_CHATS, 'Use -1 for no limit, or a number from 0')
      .max(MAX_CHAT_LIMIT, `At most ${MAX_CHAT_LIMIT} chats at once`)
      .optional(),
    tag: z.string().trim().max(40, 'Must be at most 40 characters').optional(),
  })
  .strict();
export type ChatSettingsInput = z.input<typeof chatSettingsSchema>;
export type ChatSettings = z.output<typeof chatSettingsSchema>;

export const analysisSwitchSchema = z.object({ analysisEnabled: z.boolean() }).strict();

export const licenseGrantSchema = z.object({ application: z.enum(APP_KEYS, 'Choose an application') }).strict();

export const poolSchema = z
  .object({
    size: z
      .number('Enter a whole number')
      .int('Enter a whole number')
      .min(0, 'Cannot be negative')
      .max(100_000_000, 'Too large'),
    licensedByDefault: z.boolean().optional(),
  })
  .strict();
export type PoolInput = z.input<typeof poolSchema>;

export const usageSchema = z
  .object({
    userId: id,
    minutes: z
      .number()
      .int()
      .min(1, 'At least 1 minute')
      .max(24 * 60, 'At most one day'),
  })
  .strict();

export const apiKeyCreateSchema = z
  .object({ name: z.string().trim().min(1, 'Name is required').max(80, 'Must be at most 80 characters') })
  .strict();
export type ApiKeyCreateInput = z.input<typeof apiKeyCreateSchema>;

/** "May user U do action A on resource R (owned by V, in group G)?" */
export const decisionQuestionSchema = z
  .object({
    userId: id.optional(),
    username: z.string().trim().min(1).max(254).optional(),
    action: z
      .string()
      .max(100)
      .regex(/^[a-z_]+:[a-z_.]+$/, 'Use application:action, such as voice_analytics:recording.read'),
    resource: z
      .object({
        type: z.string().max(60).optional(),
        id: z.union([z.string().max(200), z.number()]).optional(),
        ownerId: id.optional(),
        groupId: id.optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((value) => value.userId !== undefined || value.username !== undefined, {
    message: 'Name the user by userId or username',
    path: ['userId'],
  });
export type DecisionQuestion = z.output<typeof decisionQuestionSchema>;

export const MAX_BATCH = 1000;

export const decisionBatchSchema = z
  .object({
    questions: z
      .array(decisionQuestionSchema)
      .min(1, 'Ask at least one question')
      .max(MAX_BATCH, `At most ${MAX_BATCH} questions a call`),
  })
  .strict();
