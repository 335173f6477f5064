// Audit log (F29): who changed what and when, with before/after, filters, "Load more" and CSV export.
import { useInfiniteQuery } from '@tanstack/react-query';
import { Fragment, useEffect, useState } from 'react';
import { API_BASE, type AuditEvent, api, toSearch } from '../api.js';
import { formatDateTime, Notice, SelectField, Spinner, TextField } from '../components/ui.js';

const ACTION_LABELS: Record<string, string> = {
  'user.create': 'User created',
  'user.update': 'User updated',
  'user.delete': 'User deleted',
  'auth.sign_in': 'Signed in',
  'auth.sign_in_failed': 'Sign-in failed',
  'auth.sign_out': 'Signed out',
  'auth.change_password': 'Password changed',
  'saved_filter.create': 'Saved filter created',
  'saved_filter.update': 'Saved filter updated',
  'saved_filter.delete': 'Saved filter deleted',
  'group.create': 'Group created',
  'group.rename': 'Group renamed',
  'group.move': 'Group moved',
  'group.delete': 'Group deleted',
  'user.team.assign': 'Team assigned',
  'user.team.unassign': 'Team unassigned',
  'user.team.main': 'Main team set',
  'user.supervisor.assign': 'Supervisor assigned',
  'user.supervisor.unassign': 'Supervisor unassigned',
  'user.can_manage.assign': 'Can manage assigned',
  'user.can_manage.unassign': 'Can manage unassigned',
  'user.move': 'User moved',
  'department.create': 'Department created',
  'department.rename': 'Department renamed',
  'department.delete': 'Department deleted',
  'chat_group.create': 'Chat-routing group created',
  'chat_group.update': 'Chat-routing group updated',
  'chat_group.delete': 'Chat-routing group deleted',
};

const PAGE_SIZE = 50;

type AuditFilters = { action: string; actor: string; q: string; from: string; to: string };
const NO_FILTERS: AuditFilters = { action: '', actor: '', q: '', from: '', to: '' };

function useDebounced<T>(value: T, delay: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return debounced;
}

/** Days picked in the browser's time zone, sent as instants; "to" includes the whole day. */
function toQuery(filters: AuditFilters) {
  return {
    action: filters.action,
    actor: filters.actor.trim(),
    q: filters.q.trim(),
    from: filters.from ? new Date(`${filters.from}T00:00:00`).toISOString() : undefined,
    to: filters.to ? new Date(`${filters.to}T23:59:59.999`).toISOString() : undefined,
  };
}

export function AuditPage() {
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS);
  const query = toQuery(useDebounced(filters, 250));
  const events = useInfiniteQuery({
    queryKey: ['audit', query],
    queryFn: ({ pageParam, signal }) =>
      api<{ items: AuditEvent[]; nextCursor: string | null }>('/audit', {
        query: { ...query, limit: PAGE_SIZE, cursor: pageParam },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = events.data?.pages.flatMap((page) => page.items) ?? [];
  const set = (key: keyof AuditFilters) => (value: string) => setFilters((current) => ({ ...current, [key]: value }));
  const actionOptions = [
    { value: '', label: 'All actions' },
    ...Object.entries(ACTION_LABELS).map(([value, label]) => ({ value, label })),
    ...[...new Set(items.map((item) => item.action))]
      .filter((action) => !(action in ACTION_LABELS))
      .map((action) => ({ value: action, label: action })),
  ];
  const hasFilters = Object.values(filters).some((value) => value !== '');

  return (
    <div className="page">
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">Audit log</h1>
        </div>
        <div className="page__actions">
          <a className="button button--secondary" href={`${API_BASE}/audit/export.csv${toSearch(query)}`} download>
            Download CSV
          </a>
        </div>
      </div>
      <p className="page__lead muted">
        Every change in this account: who made it, when, and what it was before and after.
      </p>

      <section className="filters filters--audit card" aria-label="Audit filters">
        <SelectField label="Action" value={filters.action} onValue={set('action')} options={actionOptions} />
        <TextField
          label="Actor"
          value={filters.actor}
          onValue={set('actor')}
          placeholder="Username"
          autoComplete="off"
        />
        <TextField
          label="Search"
          type="search"
          value={filters.q}
          onValue={set('q')}
          placeholder="Target, field, value…"
          autoComplete="off"
        />
        <TextField label="From" type="date" value={filters.from} onValue={set('from')} max={filters.to || undefined} />
        <TextField label="To" type="date" value={filters.to} onValue={set('to')} min={filters.from || undefined} />
        <div className="filters__end">
          <button
            type="button"
            className="button button--ghost"
            disabled={!hasFilters}
            onClick={() => setFilters(NO_FILTERS)}
          >
            Clear
          </button>
        </div>
      </section>

      <div className={`card table-card${events.isFetching && !events.isFetchingNextPage ? ' is-loading' : ''}`}>
        {events.error ? (
          <div className="table-message">
            <Notice tone="error">{events.error.message}</Notice>
          </div>
        ) : events.isPending ? (
          <div className="table-message">
            <Spinner label="Loading events" />
          </div>
        ) : (
          <div className="table-scroll">
            <table className="table table--audit" aria-label="Audit events">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Changes</th>
                </tr>
              </thead>
              <tbody>
                {items.length === 0 ? (
                  <tr>
                    <td colSpan={5} className="table-empty">
                      <p className="table-empty__title">No events</p>
                      <p className="muted">
                        {hasFilters ? 'Nothing matches these filters.' : 'Nothing has happened yet.'}
                      </p>
                    </td>
                  </tr>
                ) : (
                  items.map((event) => <AuditRow key={event.id} event={event} />)
                )}
              </tbody>
            </table>
          </div>
        )}
        {events.hasNextPage ? (
          <div className="pager pager--center">
            <button
              type="button"
              className="button button--secondary"
              disabled={events.isFetchingNextPage}
              onClick={() => events.fetchNextPage()}
            >
              {events.isFetchingNextPage ? 'Loading…' : 'Load more'}
            </button>
          </div>
        ) : items.length > 0 ? (
          <div className="pager pager--center">
            <span className="muted small">
              {items.length === 1 ? 'One event' : `${items.length} events`}, the end of the log.
            </span>
          </div>
        ) : null}
      </div>
    </div>
  );
}

type Change = { field: string; before: unknown; after: unknown };

const IGNORED_FIELDS = new Set(['id', 'updatedAt', 'can', 'highlights']);

export function diffEvent(event: Pick<AuditEvent, 'before' | 'after'>): Change[] {
  const before = event.before ?? {};
  const after = event.after ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (field) => !IGNORED_FIELDS.has(field),
  );
  return fields
    .filter((field) => JSON.stringify(before[field] ?? null) !== JSON.stringify(after[field] ?? null))
    .map((field) => ({ field, before: before[field], after: after[field] }));
}

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.length === 0 ? '—' : value.map((item) => show(item)).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  return String(value);
}

function AuditRow({ event }: { event: AuditEvent }) {
  const [open, setOpen] = useState(false);
  const changes = diffEvent(event);
  const detailsId = `audit-${event.id}-changes`;
  return (
    <Fragment>
      <tr className={open ? 'is-expanded' : undefined}>
        <td className="nowrap">
          <time dateTime={event.at}>{formatDateTime(event.at)}</time>
        </td>
        <td>{event.actor ? event.actor.username : <span className="muted">System</span>}</td>
        <td>
          <span className="action">
            <span className="action__label">{ACTION_LABELS[event.action] ?? event.action}</span>
            <code className="action__code">{event.action}</code>
          </span>
        </td>
        <td>
          {event.target ? (
            <>
              {event.target.label}
              <span className="muted small"> · {event.target.type}</span>
            </>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
        <td>
          {changes.length > 0 ? (
            <button
              type="button"
              className="link-button"
              aria-expanded={open}
              aria-controls={detailsId}
              onClick={() => setOpen((value) => !value)}
            >
              {open ? 'Hide changes' : `Show ${changes.length === 1 ? '1 change' : `${changes.length} changes`}`}
            </button>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
      </tr>
      {open ? (
        <tr className="diff-row" id={detailsId}>
          <td colSpan={5} className="diff-row__cell">
            <table className="diff" aria-label={`Changes of ${ACTION_LABELS[event.action] ?? event.action}`}>
              <thead>
                <tr>
                  <th scope="col" className="diff__head diff__head--field">
                    Field
                  </th>
                  <th scope="col" className="diff__head">
                    Before
                  </th>
                  <th scope="col" className="diff__head diff__head--arrow">
                    <span className="visually-hidden">Becomes</span>
                  </th>
                  <th scope="col" className="diff__head">
                    After
                  </th>
                </tr>
              </thead>
              <tbody>
                {changes.map((change) => (
                  <tr key={change.field}>
                    <th scope="row" className="diff__field">
                      {change.field}
                    </th>
                    <td className="diff__cell diff__before">{show(change.before)}</td>
                    <td className="diff__cell diff__arrow" aria-hidden="true">
                      →
                    </td>
                    <td className="diff__cell diff__after">{show(change.after)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {event.ip ? <p className="muted small">From {event.ip}</p> : null}
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}
