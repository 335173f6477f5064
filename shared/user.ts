// The user as the server's presenter builds it, before the caller's abilities are added: inferred from the API's
// User schema (shared/responses/users.ts), so the presenter, the OpenAPI document and the console agree.
import type { User as ApiUser } from './responses/users.js';

export type { UserAbilities } from './responses/users.js';

/** A user without `can` (what the caller may do with it), which depends on who asks. */
export type User = Omit<ApiUser, 'can'>;
