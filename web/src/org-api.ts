// Shapes of the organization API as the console reads them: the group tree, a group, a user's teams, departments.

export type TreeGroup = { id: number; parentId: number | null; name: string; memberCount: number };
export type GroupTree = { items: TreeGroup[]; total: number };

export type GroupPerson = { id: number; username: string; displayName: string; email: string | null; enabled: boolean };

export type Group = {
  id: number;
  name: string;
  parentId: number | null;
  level: number;
  path: { id: number; name: string }[];
  memberCount: number;
  subgroups: { id: number; name: string; memberCount: number; subgroupCount: number }[];
  supervisors: GroupPerson[];
  members: (GroupPerson & { isMainTeam: boolean })[];
  nextMembers: string | null;
  createdAt: string;
  updatedAt: string;
  can: { createSubgroup: boolean };
};

export type TeamGroup = { id: number; name: string; path: string; level: number };
export type UserTeams = {
  userId: number;
  teams: (TeamGroup & { isMain: boolean })[];
  supervises: TeamGroup[];
  canManage: TeamGroup[];
};

export type Department = {
  id: number;
  name: string;
  userCount: number;
  chatGroups: { id: number; name: string }[];
  createdAt: string;
};

export type ChatGroup = { id: number; name: string; departments: { id: number; name: string }[]; createdAt: string };

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
