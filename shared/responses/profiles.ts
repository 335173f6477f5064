// Response schemas of profiles (named permission sets for the admin modules).
import { z } from 'zod';
import { MODULE_ACCESS, PROFILE_MODULES, type ProfileModule } from '../profile-schemas.js';

const rule = z.object({ access: z.enum(MODULE_ACCESS), items: z.array(z.string()) });
export type ModuleRuleView = z.output<typeof rule>;

const perModule = <T extends z.ZodType>(schema: T) =>
  z.object(Object.fromEntries(PROFILE_MODULES.map((m) => [m, schema])) as Record<ProfileModule, T>);

export const ProfileSchema = z
  .object({
    id: z.number().int(),
    name: z.string().describe('Set at creation; never changes'),
    description: z.string(),
    modules: perModule(rule).describe(
      'Per admin module: all, none (Not allowed) or some (the listed items: department names for Users, profile names for Profiles, campaign and connector names for the others)',
    ),
    summary: perModule(z.string()).describe('"All", "Not allowed" or the number of items'),
    users: z.number().int().describe('How many users have this profile'),
    createdAt: z.string(),
    updatedAt: z.string(),
    can: z.object({ update: z.boolean(), delete: z.boolean(), assign: z.boolean() }),
  })
  .meta({ id: 'Profile' });
export type Profile = z.output<typeof ProfileSchema>;

export const ProfileListSchema = z
  .object({ items: z.array(ProfileSchema), can: z.object({ create: z.boolean() }) })
  .meta({ id: 'ProfileList' });
export type ProfileList = z.output<typeof ProfileListSchema>;
