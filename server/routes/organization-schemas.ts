// Path parameters of the organization's routes, and its response schemas (from shared/).
import { z } from '@hono/zod-openapi';
import { idParam } from './schemas.js';

export {
  ChatGroupListSchema,
  ChatGroupSchema,
  DepartmentListSchema,
  DepartmentSchema,
  EventListSchema,
  EventSchema,
  GroupDeleteResultSchema,
  GroupSchema,
  GroupTreeSchema,
  MoveResultSchema,
  UserTeamsSchema,
} from '../../shared/responses/organization.js';

export const UserGroupParams = z.object({ id: idParam('id'), groupId: idParam('groupId') });
