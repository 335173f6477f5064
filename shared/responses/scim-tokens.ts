// Request and response schemas of SCIM tokens: the bearer tokens identity providers provision users with.
import { z } from 'zod';

export const scimTokenCreateSchema = z
  .object({ name: z.string().trim().min(1, 'Name is required').max(80, 'Must be at most 80 characters') })
  .strict();

export const ScimTokenSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    hint: z.string().describe('The prefix and last characters, to tell tokens apart'),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable().describe('Noted at most once a minute'),
  })
  .meta({ id: 'ScimToken' });
export type ScimToken = z.output<typeof ScimTokenSchema>;

export const ScimTokenListSchema = z.object({
  items: z.array(ScimTokenSchema),
  baseUrl: z
    .string()
    .describe("The SCIM base URL (Tenant URL) to give the identity provider: ROSTER_PUBLIC_URL's, or this request's")
    .meta({ example: 'https://roster.example.com/scim/v2' }),
});

export const NewScimTokenSchema = ScimTokenSchema.extend({
  token: z.string().describe('The token itself: shown only in this response, never again'),
}).meta({ id: 'NewScimToken' });
export type NewScimToken = z.output<typeof NewScimTokenSchema>;
