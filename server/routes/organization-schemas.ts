// Path parameters of the organization's routes, and its response schemas (from shared/).
import { z } from '@hono/zod-openapi';

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

const idParam = (name: string) =>
  z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name, in: 'path' }, example: 7 });

export const UserGroupParams = z.object({ id: idParam('id'), groupId: idParam('groupId') });
