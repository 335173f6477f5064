// How sync runs and previews are presented: a run's row as the API answers it, a plan as a preview's lists.
import type { Selectable } from 'kysely';
import type { SyncKind } from '../../../shared/directory-schemas.js';
import type { DirectorySyncPreview, DirectorySyncRun } from '../../../shared/responses/directory.js';
import type { DirectorySyncRunsTable } from '../../db/schema/directory-sync.js';
import type { EntryProblem, GroupPlan, PlannedUser, UserPlan } from './plan.js';
import type { GroupCounts, UserCounts } from './writer.js';

type RunRow = Selectable<DirectorySyncRunsTable>;

/** Items per list of a preview. */
const PREVIEW_ITEMS = 1000;

export interface SyncPlan {
  users: UserPlan;
  groups: GroupPlan;
  errors: EntryProblem[];
  warnings: EntryProblem[];
}

export function presentRun(row: RunRow): DirectorySyncRun {
  return {
    id: row.id,
    connectionId: row.connection_id,
    kind: row.kind as SyncKind,
    preview: row.preview === 1,
    status: row.status as DirectorySyncRun['status'],
    startedBy: row.started_by,
    startedAt: new Date(row.started_at).toISOString(),
    finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
    counts: {
      created: row.created,
      updated: row.updated,
      disabled: row.disabled,
      enabled: row.enabled,
      deleted: row.deleted,
      unchanged: row.unchanged,
      skipped: row.skipped,
      errors: row.errors,
      groupsCreated: row.groups_created,
      groupsUpdated: row.groups_updated,
      groupsDeleted: row.groups_deleted,
      membershipsChanged: row.memberships_changed,
    },
    progress: { done: row.progress_done, total: row.progress_total },
    errors: JSON.parse(row.errors_json),
    warnings: JSON.parse(row.warnings_json),
    message: row.message,
  };
}

export function columnsOf(counts: UserCounts & GroupCounts) {
  return {
    created: counts.created,
    updated: counts.updated,
    enabled: counts.enabled,
    disabled: counts.disabled,
    deleted: counts.deleted,
    groups_created: counts.groupsCreated,
    groups_updated: counts.groupsUpdated,
    groups_deleted: counts.groupsDeleted,
    memberships_changed: counts.membershipsChanged,
  };
}

export function previewOf(run: DirectorySyncRun, planned: SyncPlan): DirectorySyncPreview {
  const list = <T, U>(items: T[], map: (item: T) => U) => ({
    total: items.length,
    items: items.slice(0, PREVIEW_ITEMS).map(map),
  });
  const users = (action: PlannedUser['action']) =>
    list(
      planned.users.users.filter((user) => user.action === action),
      (user) => ({
        dn: user.dn,
        username: user.username,
        fields: action === 'create' ? [] : Object.keys(user.set).map(fieldName),
      }),
    );
  const groups = (action: 'create' | 'update' | 'unchanged') =>
    list(
      planned.groups.groups.filter((group) => group.action === action),
      (group) => ({ dn: group.dn, name: group.name }),
    );
  return {
    run,
    users: {
      create: users('create'),
      update: users('update'),
      disable: users('disable'),
      enable: users('enable'),
      delete: users('delete'),
      unchanged: users('unchanged'),
      skip: users('skip'),
    },
    groups: {
      create: groups('create'),
      update: groups('update'),
      delete: list(planned.groups.removed, (group) => ({ dn: group.dn, name: group.name })),
      unchanged: groups('unchanged'),
    },
  };
}

const FIELD_NAMES: Record<string, string> = {
  username: 'username',
  first_name: 'firstName',
  last_name: 'lastName',
  email: 'email',
  phone: 'phone',
  department: 'department',
  enabled: 'enabled',
  required_actions: 'requiredActions',
};
const fieldName = (column: string) => FIELD_NAMES[column] ?? column;
