// Shapes of the organization API as the console reads them: the group tree, a group, a user's teams, departments.

import type { TreeGroup } from '../../shared/responses/organization.js';

// Inferred from the schemas the server documents and tests validate (shared/responses/organization.ts).
export type {
  ChatGroup,
  Department,
  Group,
  GroupPerson,
  GroupTree,
  TeamGroup,
  TreeGroup,
  UserTeams,
} from '../../shared/responses/organization.js';

/** The tree's groups indexed for rendering: children by parent (already in name order), and each group's path. */
export function indexTree(items: TreeGroup[]) {
  const byId = new Map<number, TreeGroup>();
  const children = new Map<number | null, TreeGroup[]>();
  for (const group of items) {
    byId.set(group.id, group);
    const list = children.get(group.parentId);
    if (list) list.push(group);
    else children.set(group.parentId, [group]);
  }
  const path = (group: TreeGroup) => {
    const parent = group.parentId === null ? undefined : byId.get(group.parentId);
    return parent ? `${parent.name} / ${group.name}` : group.name;
  };
  return { byId, children, path };
}

export const GROUP_TREE_KEY = ['groups', 'tree'] as const;
