// Profiles: named permission sets for the admin modules. Shared by the API (validation + OpenAPI) and the console.
import { z } from 'zod';

export const PROFILE_MODULES = ['profiles', 'users', 'campaigns', 'connectors'] as const;
export type ProfileModule = (typeof PROFILE_MODULES)[number];

export const PROFILE_MODULE_LABELS: Record<ProfileModule, string> = {
  profiles: 'Profiles',
  users: 'Users',
  campaigns: 'Campaigns',
  connectors: 'Connectors',
};

/** What the specific items of each module are. */
export const PROFILE_ITEM_LABELS: Record<ProfileModule, string> = {
  profiles: 'Profiles (by name)',
  users: 'Departments',
  campaigns: 'Campaigns',
  connectors: 'Connectors',
};

export const MODULE_ACCESS = ['all', 'none', 'some'] as const;
export type ModuleAccess = (typeof MODULE_ACCESS)[number];
export const MODULE_ACCESS_LABELS: Record<ModuleAccess, string> = {
  all: 'All',
  none: 'Not allowed',
  some: 'Specific items',
};

export const moduleRuleSchema = z
  .object({
    access: z.enum(MODULE_ACCESS),
    items: z
      .array(z.string().trim().min(1, 'An item cannot be empty').max(100, 'Must be at most 100 characters'))
      .max(500, 'At most 500 items')
      .optional(),
  })
  .strict()
  .refine((rule) => rule.access !== 'some' || (rule.items?.length ?? 0) > 0, {
    message: 'Name at least one item, or choose All or Not allowed',
    path: ['items'],
  });
export type ModuleRule = { access: ModuleAccess; items: string[] };

const modulesSchema = z
  .object(
    Object.fromEntries(PROFILE_MODULES.map((module) => [module, moduleRuleSchema.optional()])) as Record<
      ProfileModule,
      z.ZodOptional<typeof moduleRuleSchema>
    >,
  )
  .strict();

export const profileNameSchema = z
  .string()
  .trim()
  .min(1, 'Name is required')
  .max(80, 'Must be at most 80 characters')
  .regex(/^[^\n\r\t]+$/, 'Use one line');

export const profileCreateSchema = z
  .object({
    name: profileNameSchema,
    description: z.string().trim().max(500, 'Must be at most 500 characters').optional(),
    modules: modulesSchema.optional(),
  })
  .strict();
export type ProfileCreate = z.output<typeof profileCreateSchema>;

/** The name is not here: a profile's name never changes. */
export const profileUpdateSchema = z
  .object({
    description: z.string().trim().max(500, 'Must be at most 500 characters').optional(),
    modules: modulesSchema.optional(),
  })
  .strict();
export type ProfileUpdate = z.output<typeof profileUpdateSchema>;

export type ProfileModules = Partial<Record<ProfileModule, { access: ModuleAccess; items?: string[] }>>;

/** A module a profile does not mention is not allowed (deny by default). */
export function ruleOf(modules: ProfileModules, module: ProfileModule): ModuleRule {
  const rule = modules[module];
  if (!rule) return { access: 'none', items: [] };
  return { access: rule.access, items: rule.access === 'some' ? [...new Set(rule.items ?? [])] : [] };
}

/** How the profile list shows a module: "All", "Not allowed" or the number of items. */
export function describeRule(rule: ModuleRule): string {
  if (rule.access === 'all') return 'All';
  if (rule.access === 'none') return 'Not allowed';
  return rule.items.length === 1 ? '1 item' : `${rule.items.length} items`;
}
