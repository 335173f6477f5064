// A user's organization tabs: Teams (join/leave, the star for the main team, supervisor) and Can manage, and the
// "Move to group" dialog with its warning and the option to move the user's calls too.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api } from '../api.js';
import { Checkbox, Dialog, DialogButtons, Notice, SelectField, Spinner } from '../components/ui.js';
import { indexTree, type UserTeams } from '../org-api.js';
import { useGroupTree } from './groups.js';

/** Matching groups shown at once; the search narrows the rest. */
const SHOWN = 100;

export function useUserTeams(userId: number) {
  return useQuery({
    queryKey: ['user', String(userId), 'teams'],
    queryFn: () => api<UserTeams>(`/users/${userId}/teams`),
  });
}

type Change = { path: string; method: 'POST' | 'DELETE' | 'PUT'; body?: unknown };

function useTeamChange(userId: number, onError: (message: string | null) => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ path, method, body }: Change) => api<UserTeams>(`/users/${userId}/${path}`, { method, body }),
    onSuccess: (teams) => {
      client.setQueryData(['user', String(userId), 'teams'], teams);
      client.invalidateQueries({ queryKey: ['groups'] });
      client.invalidateQueries({ queryKey: ['group'] });
      onError(null);
    },
    onError: (error) => onError(error.message),
  });
}

/** Search box, "assigned only" switch and the matching groups of the tree. */
function useGroupPicker(assigned: Set<number>) {
  const tree = useGroupTree();
  const [query, setQuery] = useState('');
  const [onlyAssigned, setOnlyAssigned] = useState(false);
  const index = useMemo(() => indexTree(tree.data?.items ?? []), [tree.data]);
  const matches = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return (tree.data?.items ?? [])
      .filter((g) => (!onlyAssigned || assigned.has(g.id)) && (!needle || index.path(g).toLowerCase().includes(needle)))
      .map((g) => ({ ...g, path: index.path(g) }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }, [tree.data, index, query, onlyAssigned, assigned]);
  const controls = (
    <div className="team-picker__toolbar">
      <input
        className="input"
        type="search"
        placeholder="Search groups by name"
        aria-label="Search groups"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
      />
      <Checkbox label="List currently assigned only" checked={onlyAssigned} onChange={setOnlyAssigned} />
    </div>
  );
  return { tree, matches, controls };
}

export function TeamsTab({
  userId,
  userName,
  followsDirectory,
}: {
  userId: number;
  userName: string;
  /** The directory connection whose syncs set this user's group memberships, if any (sync switch on). */
  followsDirectory?: string | null;
}) {
  const teams = useUserTeams(userId);
  const [error, setError] = useState<string | null>(null);
  const change = useTeamChange(userId, setError);
  const memberOf = useMemo(() => new Map((teams.data?.teams ?? []).map((t) => [t.id, t.isMain])), [teams.data]);
  const supervises = useMemo(() => new Set((teams.data?.supervises ?? []).map((t) => t.id)), [teams.data]);
  const assigned = useMemo(() => new Set([...memberOf.keys(), ...supervises]), [memberOf, supervises]);
  const { tree, matches, controls } = useGroupPicker(assigned);

  if (teams.isPending || tree.isPending) return <Spinner label="Loading teams" />;
  if (teams.error) return <Notice tone="error">{teams.error.message}</Notice>;
  const main = teams.data.teams.find((t) => t.isMain);
  return (
    <section className="card card--padded team-picker" aria-labelledby="teams-title" id="panel-teams" role="tabpanel">
      <h2 className="card__title" id="teams-title">
        Teams
      </h2>
      <p className="muted small">
        {main ? (
          <>
            Main team: <strong>{main.path}</strong>. Quality Management counts the main team only. The first team
            becomes main; removing the main team makes the alphabetically first remaining team main; the star sets it.
          </>
        ) : (
          <>{userName} is in no team. The first team you add becomes the main team.</>
        )}
      </p>
      {followsDirectory ? (
        <Notice tone="info">
          Group memberships of this user follow the directory <strong>{followsDirectory}</strong>: changes made here are
          overwritten by the next sync.
        </Notice>
      ) : null}
      {error ? (
        <Notice tone="error" onDismiss={() => setError(null)}>
          {error}
        </Notice>
      ) : null}
      {controls}
      <table className="table" aria-label="Teams">
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Group</th>
            <th scope="col">Main</th>
            <th scope="col">Supervisor</th>
          </tr>
        </thead>
        <tbody>
          {matches.slice(0, SHOWN).map((group) => {
            const member = memberOf.has(group.id);
            const isMain = memberOf.get(group.id) === true;
            return (
              <tr key={group.id} className={member ? 'row--selected' : undefined}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Member of ${group.path}`}
                    checked={member}
                    disabled={change.isPending}
                    onChange={() =>
                      change.mutate(
                        member
                          ? { path: `teams/${group.id}`, method: 'DELETE' }
                          : { path: 'teams', method: 'POST', body: { groupId: group.id } },
                      )
                    }
                  />
                </td>
                <td>{group.path}</td>
                <td>
                  {member ? (
                    <button
                      type="button"
                      className={`star${isMain ? ' star--on' : ''}`}
                      aria-pressed={isMain}
                      aria-label={isMain ? `${group.path} is the main team` : `Make ${group.path} the main team`}
                      title={isMain ? 'Main team' : 'Make main team'}
                      disabled={isMain || change.isPending}
                      onClick={() => change.mutate({ path: 'main-team', method: 'PUT', body: { groupId: group.id } })}
                    >
                      {isMain ? '★' : '☆'}
                    </button>
                  ) : null}
                </td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Supervisor of ${group.path}`}
                    checked={supervises.has(group.id)}
                    disabled={change.isPending}
                    onChange={() =>
                      change.mutate(
                        supervises.has(group.id)
                          ? { path: `supervised-teams/${group.id}`, method: 'DELETE' }
                          : { path: 'supervised-teams', method: 'POST', body: { groupId: group.id } },
                      )
                    }
                  />
                </td>
              </tr>
            );
          })}
          {matches.length === 0 ? (
            <tr>
              <td colSpan={4} className="table-empty">
                No groups match.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {matches.length > SHOWN ? (
        <p className="muted small">{matches.length - SHOWN} more groups match: narrow the search to see them.</p>
      ) : null}
    </section>
  );
}

export function CanManageTab({ userId }: { userId: number }) {
  const teams = useUserTeams(userId);
  const [error, setError] = useState<string | null>(null);
  const change = useTeamChange(userId, setError);
  const manages = useMemo(() => new Set((teams.data?.canManage ?? []).map((t) => t.id)), [teams.data]);
  const { tree, matches, controls } = useGroupPicker(manages);
  if (teams.isPending || tree.isPending) return <Spinner label="Loading groups" />;
  if (teams.error) return <Notice tone="error">{teams.error.message}</Notice>;
  return (
    <section className="card card--padded team-picker" aria-labelledby="manage-title" id="panel-manage" role="tabpanel">
      <h2 className="card__title" id="manage-title">
        Can manage
      </h2>
      <p className="muted small">
        The user reviews the direct members of these groups in Quality Management, not members of their subgroups.
        Reviewing also needs the roles EVAL_AGENTS and CREATE_EVALS, and seeing the groups' conversations
        INTERACTIONS_GROUP_VIEW (DEFAULT_TEAM_LEADER, DEFAULT_SUPERVISOR and DEFAULT_CC_MANAGER include them).
      </p>
      {error ? (
        <Notice tone="error" onDismiss={() => setError(null)}>
          {error}
        </Notice>
      ) : null}
      {controls}
      <ul className="check-list" aria-label="Groups the user can manage">
        {matches.slice(0, SHOWN).map((group) => (
          <li key={group.id}>
            <Checkbox
              label={group.path}
              checked={manages.has(group.id)}
              disabled={change.isPending}
              onChange={() =>
                change.mutate(
                  manages.has(group.id)
                    ? { path: `can-manage/${group.id}`, method: 'DELETE' }
                    : { path: 'can-manage', method: 'POST', body: { groupId: group.id } },
                )
              }
            />
          </li>
        ))}
      </ul>
      {matches.length === 0 ? <p className="table-empty">No groups match.</p> : null}
    </section>
  );
}

export function MoveUserDialog({
  userId,
  userName,
  open,
  onClose,
  onMoved,
}: {
  userId: number;
  userName: string;
  open: boolean;
  onClose: () => void;
  onMoved: (text: string) => void;
}) {
  const client = useQueryClient();
  const teams = useUserTeams(userId);
  const tree = useGroupTree();
  const index = useMemo(() => indexTree(tree.data?.items ?? []), [tree.data]);
  const [target, setTarget] = useState('');
  const [moveCalls, setMoveCalls] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const main = teams.data?.teams.find((t) => t.isMain);
  const move = useMutation({
    mutationFn: () =>
      api<{ teams: UserTeams }>(`/users/${userId}/move`, {
        method: 'POST',
        body: { toGroupId: Number(target), moveCalls },
      }),
    onSuccess: (result) => {
      client.setQueryData(['user', String(userId), 'teams'], result.teams);
      client.invalidateQueries({ queryKey: ['groups'] });
      client.invalidateQueries({ queryKey: ['group'] });
      const to = result.teams.teams.find((t) => t.isMain);
      onMoved(
        `${userName} was moved to ${to?.path ?? 'the group'}${moveCalls ? ', with their calls' : ''}. Review their permissions now.`,
      );
      setTarget('');
      setMoveCalls(false);
    },
    onError: (e) => setError(e.message),
  });
  const options = useMemo(
    () =>
      (tree.data?.items ?? [])
        .filter((g) => g.id !== main?.id)
        .map((g) => ({ value: String(g.id), label: index.path(g) }))
        .sort((a, b) => a.label.localeCompare(b.label)),
    [tree.data, index, main],
  );
  return (
    <Dialog
      open={open}
      title={`Move ${userName} to another group`}
      onClose={onClose}
      footer={
        <DialogButtons
          onCancel={onClose}
          disabled={!target || move.isPending}
          label={move.isPending ? 'Moving…' : 'Move'}
          onAction={() => move.mutate()}
        />
      }
    >
      <div className="form-stack">
        <p>
          {main ? (
            <>
              {userName} leaves <strong>{main.path}</strong> (their main team) and joins the group you choose, which
              becomes their main team. Their other teams stay.
            </>
          ) : (
            <>{userName} is in no team yet: they join the group you choose as their main team.</>
          )}
        </p>
        <SelectField
          label="Move to"
          value={target}
          onValue={setTarget}
          options={[{ value: '', label: 'Choose a group' }, ...options]}
        />
        <Checkbox
          label="Move the user's calls to the new group too"
          checked={moveCalls}
          onChange={setMoveCalls}
          hint="The applications holding the calls are told through the user.moved event."
        />
        <div className="notice notice--warning" role="note">
          <div className="notice__body">
            <strong>Review the permissions.</strong> Moving a user does not change their roles, the groups they can
            manage or the groups they may see: check and update them after the move.
          </div>
        </div>
        {error ? <Notice tone="error">{error}</Notice> : null}
      </div>
    </Dialog>
  );
}
