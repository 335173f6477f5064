// One group: where it sits in the tree, its subgroups, supervisors and direct members (linked to their pages).
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, api } from '../api.js';
import { Badge, formatCount, Notice, Spinner } from '../components/ui.js';
import type { Group } from '../org-api.js';
import { useSession } from '../session.js';
import { GroupDialogs, type GroupEditing, useLeaveAfterDelete } from './groups.js';

export function GroupPage() {
  const { id = '' } = useParams();
  const leave = useLeaveAfterDelete();
  const session = useSession();
  const [editing, setEditing] = useState<GroupEditing | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const group = useInfiniteQuery({
    queryKey: ['group', id],
    queryFn: ({ pageParam }) =>
      api<Group>(`/groups/${encodeURIComponent(id)}`, { query: { after: pageParam ?? undefined } }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextMembers,
  });

  if (group.isPending) {
    return (
      <div className="page">
        <Spinner label="Loading group" />
      </div>
    );
  }
  if (group.error) {
    return (
      <div className="page page--narrow">
        <nav className="breadcrumbs" aria-label="Breadcrumb">
          <Link to="/groups">Groups</Link>
        </nav>
        <h1 className="page__title">Group not available</h1>
        <Notice tone="error">
          {group.error instanceof ApiError && group.error.status === 404
            ? 'This group does not exist or was deleted.'
            : group.error.message}
        </Notice>
      </div>
    );
  }
  const first = group.data.pages[0] as Group;
  const members = group.data.pages.flatMap((page) => page.members);
  const asTree = { id: first.id, parentId: first.parentId, name: first.name, memberCount: first.memberCount };

  return (
    <div className="page page--narrow">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link to="/groups">Groups</Link>
        {first.path.map((parent) => (
          <span key={parent.id} className="breadcrumbs__part">
            <span aria-hidden="true">/</span>
            <Link to={`/groups/${parent.id}`}>{parent.name}</Link>
          </span>
        ))}
        <span aria-hidden="true">/</span>
        <span>{first.name}</span>
      </nav>
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">{first.name}</h1>
          <Badge>Level {first.level}</Badge>
        </div>
        {session.abilities.manageOrganization ? (
          <div className="page__actions">
            {first.can.createSubgroup ? (
              <button
                type="button"
                className="button button--secondary"
                onClick={() => setEditing({ kind: 'create', parentId: first.id })}
              >
                Add subgroup
              </button>
            ) : null}
            <button
              type="button"
              className="button button--secondary"
              onClick={() => setEditing({ kind: 'rename', group: asTree })}
            >
              Rename
            </button>
            <button
              type="button"
              className="button button--secondary"
              onClick={() => setEditing({ kind: 'move', group: asTree })}
            >
              Move
            </button>
            <button
              type="button"
              className="button button--danger-outline"
              onClick={() => setEditing({ kind: 'delete', group: asTree })}
            >
              Delete
            </button>
          </div>
        ) : null}
      </div>
      {notice ? (
        <Notice tone="success" onDismiss={() => setNotice(null)}>
          {notice}
        </Notice>
      ) : null}

      <section className="card table-card" aria-labelledby="subgroups-title">
        <div className="card__header section-card__header">
          <h2 className="card__title" id="subgroups-title">
            Subgroups <span className="count-badge">{first.subgroups.length}</span>
          </h2>
        </div>
        {first.subgroups.length === 0 ? (
          <p className="section-card__empty muted">
            {first.can.createSubgroup ? 'No subgroups.' : 'Level-3 groups cannot hold subgroups.'}
          </p>
        ) : (
          <table className="table" aria-label="Subgroups">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Members</th>
                <th scope="col">Subgroups</th>
              </tr>
            </thead>
            <tbody>
              {first.subgroups.map((sub) => (
                <tr key={sub.id}>
                  <td>
                    <Link to={`/groups/${sub.id}`}>{sub.name}</Link>
                  </td>
                  <td>{formatCount(sub.memberCount)}</td>
                  <td>{formatCount(sub.subgroupCount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="card table-card" aria-labelledby="supervisors-title">
        <div className="card__header section-card__header">
          <h2 className="card__title" id="supervisors-title">
            Supervisors <span className="count-badge">{first.supervisors.length}</span>
          </h2>
        </div>
        {first.supervisors.length === 0 ? (
          <p className="section-card__empty muted">No supervisors. Make someone a supervisor on their Teams tab.</p>
        ) : (
          <ul className="person-list">
            {first.supervisors.map((person) => (
              <li key={person.id}>
                <Link to={`/users/${person.id}?tab=teams`}>{person.displayName}</Link>{' '}
                <span className="muted">{person.username}</span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card table-card" aria-labelledby="members-title">
        <div className="card__header section-card__header">
          <h2 className="card__title" id="members-title">
            Users <span className="count-badge">{formatCount(first.memberCount)}</span>
          </h2>
        </div>
        {members.length === 0 ? (
          <p className="section-card__empty muted">No direct members. Add users from their Teams tab.</p>
        ) : (
          <table className="table" aria-label="Members">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Username</th>
                <th scope="col">Main team</th>
              </tr>
            </thead>
            <tbody>
              {members.map((person) => (
                <tr key={person.id}>
                  <td>
                    <Link to={`/users/${person.id}`}>{person.displayName}</Link>
                    {person.enabled ? null : (
                      <>
                        {' '}
                        <Badge tone="red">Disabled</Badge>
                      </>
                    )}
                  </td>
                  <td className="muted">{person.username}</td>
                  <td>
                    {person.isMainTeam ? <Badge tone="accent">★ Main team</Badge> : <span className="muted">—</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {group.hasNextPage ? (
          <div className="pager pager--center">
            <button
              type="button"
              className="button button--secondary button--small"
              disabled={group.isFetchingNextPage}
              onClick={() => group.fetchNextPage()}
            >
              {group.isFetchingNextPage ? 'Loading…' : 'Show more users'}
            </button>
          </div>
        ) : null}
      </section>

      <GroupDialogs
        editing={editing}
        onClose={() => setEditing(null)}
        onDone={(text, _expand, deleted) => {
          setEditing(null);
          if (deleted) leave(first.parentId);
          else setNotice(text);
        }}
      />
    </div>
  );
}
