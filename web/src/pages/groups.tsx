// The group tree (F12): the account on level 1, its groups and their subgroups below, with direct member counts.
// The whole tree comes in one call; rows render collapsed, and a group's children only once it is expanded.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { groupCreateSchema } from '../../../shared/organization-schemas.js';
import { ApiError, api } from '../api.js';
import { Dialog, DialogButtons, formatCount, Notice, SelectField, Spinner, TextField } from '../components/ui.js';
import { issuesByField } from '../forms.js';
import { GROUP_TREE_KEY, type GroupTree, indexTree, type TreeGroup } from '../org-api.js';
import { useSession } from '../session.js';

/** Siblings shown before a "Show more" button, so a level with thousands of groups stays quick to render. */
const SIBLINGS_SHOWN = 200;

export function useGroupTree() {
  return useQuery({ queryKey: GROUP_TREE_KEY, queryFn: () => api<GroupTree>('/groups'), staleTime: 10_000 });
}

type Editing =
  | { kind: 'create'; parentId: number | null }
  | { kind: 'rename'; group: TreeGroup }
  | { kind: 'move'; group: TreeGroup }
  | { kind: 'delete'; group: TreeGroup };

export function GroupsPage() {
  const session = useSession();
  const tree = useGroupTree();
  const [expanded, setExpanded] = useState<Set<number>>(() => new Set());
  const [filter, setFilter] = useState('');
  const [editing, setEditing] = useState<Editing | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const index = useMemo(() => indexTree(tree.data?.items ?? []), [tree.data]);

  // A filter shows the matching groups with their parents, expanded.
  const visible = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    if (!needle) return null;
    const keep = new Set<number>();
    for (const group of tree.data?.items ?? []) {
      if (!group.name.toLowerCase().includes(needle)) continue;
      keep.add(group.id);
      if (group.parentId !== null) keep.add(group.parentId);
    }
    return keep;
  }, [filter, tree.data]);

  const toggle = (id: number) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const total = tree.data?.total ?? 0;
  return (
    <div className="page">
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">Groups</h1>
          {tree.data ? <span className="count-badge">{formatCount(total)}</span> : null}
        </div>
        {session.abilities.manageOrganization ? (
          <div className="page__actions">
            <button
              type="button"
              className="button button--primary"
              onClick={() => setEditing({ kind: 'create', parentId: null })}
            >
              Create group
            </button>
          </div>
        ) : null}
      </div>
      <p className="page__lead muted">
        Level 1 is the account (the billing level); levels 2 and 3 hold any number of groups. Members of a group are its
        team; counts are direct members.
      </p>
      {notice ? (
        <Notice tone="success" onDismiss={() => setNotice(null)}>
          {notice}
        </Notice>
      ) : null}
      <section className="card tree-card" aria-label="Group tree">
        <div className="tree-card__toolbar">
          <input
            className="input tree-card__filter"
            type="search"
            placeholder="Filter groups by name"
            aria-label="Filter groups"
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
          />
          <button type="button" className="button button--ghost button--small" onClick={() => setExpanded(new Set())}>
            Collapse all
          </button>
        </div>
        {tree.isPending ? <Spinner label="Loading groups" /> : null}
        {tree.error ? <Notice tone="error">{tree.error.message}</Notice> : null}
        {tree.data ? (
          <ul className="tree" aria-label="Groups">
            <li className="tree__item">
              <div className="tree__row tree__row--account">
                <span className="tree__toggle tree__toggle--none" aria-hidden="true" />
                <span className="tree__name">{session.account.name}</span>
                <span className="tree__level">Level 1 · account</span>
              </div>
              <Level
                parentId={null}
                index={index}
                expanded={expanded}
                visible={visible}
                onToggle={toggle}
                onEdit={setEditing}
              />
            </li>
          </ul>
        ) : null}
        {tree.data && total === 0 ? (
          <p className="section-card__empty muted">No groups yet: create the first one.</p>
        ) : null}
      </section>
      <GroupDialogs
        editing={editing}
        onClose={() => setEditing(null)}
        onDone={(text, parentId) => {
          setEditing(null);
          setNotice(text);
          if (parentId) setExpanded((current) => new Set(current).add(parentId));
        }}
      />
    </div>
  );
}

function Level({
  parentId,
  index,
  expanded,
  visible,
  onToggle,
  onEdit,
}: {
  parentId: number | null;
  index: ReturnType<typeof indexTree>;
  expanded: Set<number>;
  visible: Set<number> | null;
  onToggle: (id: number) => void;
  onEdit: (editing: Editing) => void;
}) {
  const [shown, setShown] = useState(SIBLINGS_SHOWN);
  const canChange = useSession().abilities.manageOrganization;
  const all = index.children.get(parentId) ?? [];
  const siblings = visible ? all.filter((g) => visible.has(g.id)) : all;
  if (siblings.length === 0) return null;
  return (
    <ul className="tree__group">
      {siblings.slice(0, shown).map((group) => {
        const kids = index.children.get(group.id)?.length ?? 0;
        const open = kids > 0 && (expanded.has(group.id) || visible !== null);
        const level = parentId === null ? 2 : 3;
        return (
          <li key={group.id} className="tree__item" data-group-id={group.id}>
            <div className="tree__row">
              {kids > 0 ? (
                <button
                  type="button"
                  className="tree__toggle"
                  aria-label={`${open ? 'Collapse' : 'Expand'} ${group.name}`}
                  aria-expanded={open}
                  onClick={() => onToggle(group.id)}
                >
                  {open ? '▾' : '▸'}
                </button>
              ) : (
                <span className="tree__toggle tree__toggle--none" aria-hidden="true" />
              )}
              <Link className="tree__name" to={`/groups/${group.id}`}>
                {group.name}
              </Link>
              <span className="tree__count" title="Direct members">
                {formatCount(group.memberCount)} {group.memberCount === 1 ? 'member' : 'members'}
              </span>
              {kids > 0 ? (
                <span className="tree__count muted">
                  {formatCount(kids)} {kids === 1 ? 'subgroup' : 'subgroups'}
                </span>
              ) : null}
              {canChange ? (
                <span className="tree__actions">
                  {level === 2 ? (
                    <button
                      type="button"
                      className="link-button"
                      onClick={() => onEdit({ kind: 'create', parentId: group.id })}
                    >
                      Add subgroup<span className="visually-hidden"> to {group.name}</span>
                    </button>
                  ) : null}
                  <button type="button" className="link-button" onClick={() => onEdit({ kind: 'rename', group })}>
                    Rename<span className="visually-hidden"> {group.name}</span>
                  </button>
                  <button type="button" className="link-button" onClick={() => onEdit({ kind: 'move', group })}>
                    Move<span className="visually-hidden"> {group.name}</span>
                  </button>
                  <button
                    type="button"
                    className="link-button link-button--danger"
                    onClick={() => onEdit({ kind: 'delete', group })}
                  >
                    Delete<span className="visually-hidden"> {group.name}</span>
                  </button>
                </span>
              ) : null}
            </div>
            {open ? (
              <Level
                parentId={group.id}
                index={index}
                expanded={expanded}
                visible={visible}
                onToggle={onToggle}
                onEdit={onEdit}
              />
            ) : null}
          </li>
        );
      })}
      {siblings.length > shown ? (
        <li className="tree__more">
          <button
            type="button"
            className="button button--secondary button--small"
            onClick={() => setShown((n) => n + SIBLINGS_SHOWN * 5)}
          >
            Show more ({formatCount(siblings.length - shown)} not shown)
          </button>
        </li>
      ) : null}
    </ul>
  );
}

/** Create, rename, move and delete dialogs, shared by the tree and a group's page. */
export function GroupDialogs({
  editing,
  onClose,
  onDone,
}: {
  editing: Editing | null;
  onClose: () => void;
  onDone: (notice: string, expandId?: number | null, deleted?: boolean) => void;
}) {
  if (!editing) return null;
  if (editing.kind === 'create') return <CreateDialog parentId={editing.parentId} onClose={onClose} onDone={onDone} />;
  if (editing.kind === 'rename') return <RenameDialog group={editing.group} onClose={onClose} onDone={onDone} />;
  if (editing.kind === 'move') return <MoveDialog group={editing.group} onClose={onClose} onDone={onDone} />;
  return <DeleteDialog group={editing.group} onClose={onClose} onDone={(text) => onDone(text, null, true)} />;
}

export type { Editing as GroupEditing };

function useGroupMutation<T>(onSuccess: (result: T) => void) {
  const client = useQueryClient();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const mutation = useMutation({
    mutationFn: ({ path, method, body }: { path: string; method: string; body?: unknown }) =>
      api<T>(path, { method, body }),
    onSuccess: (result) => {
      client.invalidateQueries({ queryKey: ['groups'] });
      client.invalidateQueries({ queryKey: ['group'] });
      onSuccess(result);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.fields.length > 0) setErrors(error.fieldMap());
      setMessage(error.message);
    },
  });
  return { mutation, errors, setErrors, message };
}

function CreateDialog({
  parentId,
  onClose,
  onDone,
}: {
  parentId: number | null;
  onClose: () => void;
  onDone: (text: string, parentId: number | null) => void;
}) {
  const tree = useGroupTree();
  const [name, setName] = useState('');
  const [parent, setParent] = useState(parentId === null ? '' : String(parentId));
  const { mutation, errors, setErrors, message } = useGroupMutation<{ name: string; parentId: number | null }>(
    (group) => onDone(`${group.name} was created.`, group.parentId),
  );
  const parents = (tree.data?.items ?? []).filter((g) => g.parentId === null);
  function submit(event: FormEvent) {
    event.preventDefault();
    const body = { name, parentId: parent ? Number(parent) : null };
    const parsed = groupCreateSchema.safeParse(body);
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      return;
    }
    mutation.mutate({ path: '/groups', method: 'POST', body });
  }
  return (
    <Dialog
      open
      title={parentId === null ? 'Create group' : 'Create subgroup'}
      onClose={onClose}
      footer={<DialogButtons onCancel={onClose} form="group-create" disabled={mutation.isPending} label="Create" />}
    >
      <form id="group-create" className="form-stack" onSubmit={submit} noValidate>
        <TextField label="Name" value={name} onValue={setName} error={errors.name} required autoFocus />
        <SelectField
          label="Parent"
          value={parent}
          onValue={setParent}
          error={errors.parentId}
          options={[
            { value: '', label: 'The account (level 2)' },
            ...parents.map((g) => ({ value: String(g.id), label: `${g.name} (level 3)` })),
          ]}
          hint="Groups go three levels deep: the account, its groups, their subgroups."
        />
        {message && Object.keys(errors).length === 0 ? <Notice tone="error">{message}</Notice> : null}
      </form>
    </Dialog>
  );
}

function RenameDialog({
  group,
  onClose,
  onDone,
}: {
  group: TreeGroup;
  onClose: () => void;
  onDone: (text: string) => void;
}) {
  const [name, setName] = useState(group.name);
  const { mutation, errors, setErrors, message } = useGroupMutation<{ name: string }>((saved) =>
    onDone(`${group.name} is now ${saved.name}.`),
  );
  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = groupCreateSchema.pick({ name: true }).safeParse({ name });
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      return;
    }
    mutation.mutate({ path: `/groups/${group.id}`, method: 'PATCH', body: { name } });
  }
  return (
    <Dialog
      open
      title={`Rename ${group.name}`}
      onClose={onClose}
      footer={<DialogButtons onCancel={onClose} form="group-rename" disabled={mutation.isPending} label="Rename" />}
    >
      <form id="group-rename" className="form-stack" onSubmit={submit} noValidate>
        <TextField label="Name" value={name} onValue={setName} error={errors.name} required autoFocus />
        {message && !errors.name ? <Notice tone="error">{message}</Notice> : null}
      </form>
    </Dialog>
  );
}

function MoveDialog({
  group,
  onClose,
  onDone,
}: {
  group: TreeGroup;
  onClose: () => void;
  onDone: (text: string) => void;
}) {
  const tree = useGroupTree();
  const [parent, setParent] = useState(group.parentId === null ? '' : String(group.parentId));
  const { mutation, errors, message } = useGroupMutation<{ name: string; path: { name: string }[] }>((saved) =>
    onDone(`${saved.name} was moved under ${saved.path[0]?.name ?? 'the account'}.`),
  );
  const hasChildren = (tree.data?.items ?? []).some((g) => g.parentId === group.id);
  const parents = (tree.data?.items ?? []).filter((g) => g.parentId === null && g.id !== group.id);
  return (
    <Dialog
      open
      title={`Move ${group.name}`}
      onClose={onClose}
      footer={
        <DialogButtons
          onCancel={onClose}
          disabled={mutation.isPending}
          label="Move"
          onAction={() =>
            mutation.mutate({
              path: `/groups/${group.id}`,
              method: 'PATCH',
              body: { parentId: parent ? Number(parent) : null },
            })
          }
        />
      }
    >
      <div className="form-stack">
        <SelectField
          label="New parent"
          value={parent}
          onValue={setParent}
          error={errors.parentId}
          options={[
            { value: '', label: 'The account (level 2)' },
            ...parents.map((g) => ({ value: String(g.id), label: `${g.name} (level 3)` })),
          ]}
          hint={
            hasChildren
              ? `${group.name} has subgroups: it can only stay on level 2 (they would be on level 4).`
              : 'Its members move with it.'
          }
        />
        {message && !errors.parentId ? <Notice tone="error">{message}</Notice> : null}
      </div>
    </Dialog>
  );
}

function DeleteDialog({
  group,
  onClose,
  onDone,
}: {
  group: TreeGroup;
  onClose: () => void;
  onDone: (text: string) => void;
}) {
  const tree = useGroupTree();
  const children = (tree.data?.items ?? []).filter((g) => g.parentId === group.id);
  const empty = group.memberCount === 0 && children.length === 0;
  const [mode, setMode] = useState<'move_to_parent' | 'delete_all'>('move_to_parent');
  const { mutation, message } = useGroupMutation<{
    movedMembers: number;
    endedMemberships: number;
    removedSavedFilters: number;
  }>((result) =>
    onDone(
      `${group.name} was deleted.${result.movedMembers > 0 ? ` ${result.movedMembers} member(s) moved to its parent.` : ''}${result.endedMemberships > 0 && mode === 'delete_all' ? ` ${result.endedMemberships} membership(s) ended.` : ''}${result.removedSavedFilters > 0 ? ` ${result.removedSavedFilters} saved filter(s) of the group removed.` : ''}`,
    ),
  );
  const parentName = group.parentId === null ? null : tree.data?.items.find((g) => g.id === group.parentId)?.name;
  return (
    <Dialog
      open
      title={`Delete ${group.name}?`}
      onClose={onClose}
      footer={
        <DialogButtons
          onCancel={onClose}
          disabled={mutation.isPending}
          label="Delete"
          danger
          onAction={() =>
            mutation.mutate({
              path: `/groups/${group.id}${empty ? '' : `?mode=${mode}`}`,
              method: 'DELETE',
            })
          }
        />
      }
    >
      {empty ? (
        <p>
          <strong>{group.name}</strong> has no members and no subgroups.
        </p>
      ) : (
        <fieldset className="form-stack delete-choice">
          <legend>
            <strong>{group.name}</strong> has {formatCount(group.memberCount)} member(s) and {children.length}{' '}
            subgroup(s). What should happen to them?
          </legend>
          <label className="radio">
            <input
              type="radio"
              name="delete-mode"
              checked={mode === 'move_to_parent'}
              onChange={() => setMode('move_to_parent')}
            />
            <span>
              {parentName
                ? `Move its members to ${parentName}`
                : 'Keep its subgroups (they move up to level 2); its members leave the group'}
              {parentName && children.length > 0 ? ' and its subgroups up a level' : ''}
            </span>
          </label>
          <label className="radio">
            <input
              type="radio"
              name="delete-mode"
              checked={mode === 'delete_all'}
              onChange={() => setMode('delete_all')}
            />
            <span>Delete its subgroups too and end every membership in them</span>
          </label>
          <p className="muted small">
            Members who lose their main team get the alphabetically first of their other teams as main.
          </p>
        </fieldset>
      )}
      {message ? <Notice tone="error">{message}</Notice> : null}
    </Dialog>
  );
}

/** Used by the group page to leave the page after deleting. */
export function useLeaveAfterDelete() {
  const navigate = useNavigate();
  return (parentId: number | null) => navigate(parentId ? `/groups/${parentId}` : '/groups');
}
