// What a directory sync did or would do: the progress of a running sync (polled until it ends), its counts and the
// entries it could not sync (named by DN), the plan of a preview, and the connection's run history.
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import type { DirectorySyncPreview, DirectorySyncRun } from '../../../shared/responses/directory.js';
import { api } from '../api.js';
import { Badge, formatCount, formatDateTime, Notice } from '../components/ui.js';

const POLL_MS = 500;

export const runKey = (connectionId: number, runId: number) => ['directory-run', connectionId, runId];
export const runsKey = (connectionId: number) => ['directory-runs', connectionId];

/** A run, read again every half second while it runs. */
export function useRun(connectionId: number, runId: number | null) {
  return useQuery({
    queryKey: runKey(connectionId, runId ?? 0),
    queryFn: () => api<DirectorySyncRun>(`/directory-connections/${connectionId}/runs/${runId}`),
    enabled: runId !== null,
    refetchInterval: (query) => (query.state.data?.status === 'running' ? POLL_MS : false),
  });
}

const KIND_LABELS = { full: 'Full', incremental: 'Changes only' } as const;
const RUN_TITLES = { full: 'Full sync', incremental: 'Sync of the changes' } as const;
const STATUS = {
  running: { tone: 'accent', label: 'Running' },
  succeeded: { tone: 'green', label: 'Succeeded' },
  failed: { tone: 'red', label: 'Failed' },
} as const;

export function RunStatus({ run }: { run: DirectorySyncRun }) {
  const status = STATUS[run.status];
  return <Badge tone={status.tone}>{status.label}</Badge>;
}

/** The counts that are not zero, in a line ("12 created · 3 updated · 2 errors"); "No changes" when all are. */
export function countsLine(run: DirectorySyncRun): string {
  const c = run.counts;
  const parts: [number, string][] = [
    [c.created, 'created'],
    [c.updated, 'updated'],
    [c.disabled, 'disabled'],
    [c.enabled, 'enabled'],
    [c.deleted, 'deleted'],
    [c.skipped, 'skipped (sync off)'],
    [c.groupsCreated, c.groupsCreated === 1 ? 'group created' : 'groups created'],
    [c.groupsUpdated, c.groupsUpdated === 1 ? 'group updated' : 'groups updated'],
    [c.groupsDeleted, c.groupsDeleted === 1 ? 'group deleted' : 'groups deleted'],
    [c.membershipsChanged, c.membershipsChanged === 1 ? 'membership changed' : 'memberships changed'],
  ];
  const shown = parts.filter(([n]) => n > 0).map(([n, label]) => `${formatCount(n)} ${label}`);
  return shown.length ? shown.join(' · ') : 'No changes';
}

export function RunProgress({ run }: { run: DirectorySyncRun }) {
  const { done, total } = run.progress;
  const share = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
  return (
    <section className="card card--padded" aria-label="Sync progress">
      <div className="import-progress__head">
        <div>
          <div className="import-summary__file">{RUN_TITLES[run.kind]} running</div>
          <div className="field__hint">
            {total > 0 ? `${formatCount(done)} of ${formatCount(total)} entries` : 'Reading the directory'} · started{' '}
            {formatDateTime(run.startedAt)}
          </div>
        </div>
        <RunStatus run={run} />
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-label="Sync progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={share}
      >
        <div className="progress__bar" style={{ width: `${share}%` }} />
      </div>
      <p className="field__hint">
        {share}% · the sync goes on in the background: you can leave this page and come back.
      </p>
    </section>
  );
}

/** A finished run: its counts as figures, why it failed, and the entries it could not sync. */
export function RunResult({ run, onDismiss }: { run: DirectorySyncRun; onDismiss?: () => void }) {
  const c = run.counts;
  return (
    <section className="card card--padded" aria-label="Sync result">
      <div className="import-progress__head">
        <div>
          <div className="import-summary__file">
            {RUN_TITLES[run.kind]} {run.status === 'failed' ? 'failed' : 'finished'}
          </div>
          <div className="field__hint">
            {formatDateTime(run.startedAt)} – {formatDateTime(run.finishedAt)}
          </div>
        </div>
        <div className="page__actions">
          <RunStatus run={run} />
          {onDismiss ? (
            <button type="button" className="notice__close" onClick={onDismiss} aria-label="Dismiss">
              ×
            </button>
          ) : null}
        </div>
      </div>
      {run.message ? <Notice tone="error">{run.message}</Notice> : null}
      <dl className="import-stats directory-stats">
        <Stat label="Created" value={c.created} />
        <Stat label="Updated" value={c.updated} />
        <Stat label="Disabled" value={c.disabled} />
        <Stat label="Enabled" value={c.enabled} />
        <Stat label="Deleted" value={c.deleted} />
        <Stat label="Unchanged" value={c.unchanged} />
        <Stat label="Sync off" value={c.skipped} />
        <Stat label="Errors" value={c.errors} bad />
        <Stat label="Groups created" value={c.groupsCreated} />
        <Stat label="Memberships changed" value={c.membershipsChanged} />
      </dl>
      <Problems run={run} />
    </section>
  );
}

function Stat({ label, value, bad }: { label: string; value: number; bad?: boolean }) {
  return (
    <div className={bad && value > 0 ? 'import-stats--bad' : ''}>
      <dt>{label}</dt>
      <dd>{formatCount(value)}</dd>
    </div>
  );
}

/** The entries a run could not sync and the ones it synced otherwise than the directory has them, by DN. */
export function Problems({ run }: { run: DirectorySyncRun }) {
  if (run.errors.length === 0 && run.warnings.length === 0) return null;
  return (
    <div className="directory-problems">
      {run.errors.length > 0 ? (
        <ProblemList
          title={`${formatCount(run.counts.errors)} ${run.counts.errors === 1 ? 'entry' : 'entries'} not synced`}
          items={run.errors}
          tone="error"
        />
      ) : null}
      {run.warnings.length > 0 ? (
        <ProblemList
          title={`${formatCount(run.warnings.length)} ${run.warnings.length === 1 ? 'warning' : 'warnings'}`}
          items={run.warnings}
          tone="warning"
        />
      ) : null}
    </div>
  );
}

function ProblemList({
  title,
  items,
  tone,
}: {
  title: string;
  items: { dn: string; message: string }[];
  tone: 'error' | 'warning';
}) {
  return (
    <div className={`directory-problems__list directory-problems__list--${tone}`}>
      <h3 className="directory-problems__title">{title}</h3>
      <ul aria-label={title}>
        {items.map((item, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: one entry may have several problems; the list never reorders
          <li key={index}>
            <code className="directory-dn">{item.dn}</code>
            <span className="directory-problem__message">{item.message}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

type Planned<T> = { total: number; items: T[] };
type PlannedUser = { dn: string; username: string; fields: string[] };
type PlannedGroup = { dn: string; name: string };

/** The dry run: for users and groups, what a sync would create, change, disable or delete, and leave alone. */
export function PreviewPlan({ preview, onClose }: { preview: DirectorySyncPreview; onClose: () => void }) {
  const u = preview.users;
  const g = preview.groups;
  const userRows: [string, Planned<PlannedUser>][] = [
    ['To create', u.create],
    ['To update', u.update],
    ['To disable', u.disable],
    ['To enable again', u.enable],
    ['To delete', u.delete],
    ['Sync off: left alone', u.skip],
    ['Unchanged', u.unchanged],
  ];
  const groupRows: [string, Planned<PlannedGroup>][] = [
    ['To create', g.create],
    ['To update', g.update],
    ['To delete', g.delete],
    ['Unchanged', g.unchanged],
  ];
  return (
    <section className="card card--padded" aria-label="Preview">
      <div className="import-progress__head">
        <div>
          <h2 className="card__title">Preview of a full sync</h2>
          <p className="muted small">Nothing was written. This is what “Sync now” would do now.</p>
        </div>
        <button type="button" className="button button--secondary button--small" onClick={onClose}>
          Close preview
        </button>
      </div>
      <div className="directory-plan">
        <PlanColumn title="Users">
          {userRows.map(([label, planned]) => (
            <PlanRow key={label} label={label} planned={planned}>
              {(item: PlannedUser) => (
                <>
                  <span className="directory-plan__name">{item.username}</span>
                  {item.fields.length > 0 ? <span className="muted small"> ({item.fields.join(', ')})</span> : null}
                  <code className="directory-dn">{item.dn}</code>
                </>
              )}
            </PlanRow>
          ))}
        </PlanColumn>
        <PlanColumn title="Groups">
          {groupRows.map(([label, planned]) => (
            <PlanRow key={label} label={label} planned={planned}>
              {(item: PlannedGroup) => (
                <>
                  <span className="directory-plan__name">{item.name}</span>
                  <code className="directory-dn">{item.dn}</code>
                </>
              )}
            </PlanRow>
          ))}
        </PlanColumn>
      </div>
      <Problems run={preview.run} />
    </section>
  );
}

function PlanColumn({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="directory-plan__column">
      <h3 className="directory-problems__title">{title}</h3>
      {children}
    </div>
  );
}

function PlanRow<T>({
  label,
  planned,
  children,
}: {
  label: string;
  planned: Planned<T>;
  children: (item: T) => ReactNode;
}) {
  const head = (
    <>
      <span>{label}</span>
      <span className={`directory-plan__count${planned.total === 0 ? ' muted' : ''}`}>
        {formatCount(planned.total)}
      </span>
    </>
  );
  if (planned.total === 0) return <div className="directory-plan__row">{head}</div>;
  return (
    <details className="directory-plan__details">
      <summary className="directory-plan__row">{head}</summary>
      <ul className="directory-plan__items" aria-label={label}>
        {planned.items.map((item, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the plan's order is fixed
          <li key={index}>{children(item)}</li>
        ))}
        {planned.total > planned.items.length ? (
          <li className="muted small">and {formatCount(planned.total - planned.items.length)} more</li>
        ) : null}
      </ul>
    </details>
  );
}

export function RunHistory({ runs }: { runs: DirectorySyncRun[] }) {
  return (
    <section className="card table-card" aria-label="Sync history">
      <div className="table-card__header">
        <h2 className="card__title">History</h2>
        <span className="muted small">The last 50 runs</span>
      </div>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Kind</th>
            <th scope="col">Status</th>
            <th scope="col">Changes</th>
            <th scope="col">Errors</th>
          </tr>
        </thead>
        <tbody>
          {runs.length === 0 ? (
            <tr>
              <td colSpan={5} className="table-empty">
                No syncs yet. “Preview” shows what the first one would do.
              </td>
            </tr>
          ) : (
            runs.map((run) => (
              <tr key={run.id}>
                <td className="nowrap">
                  {formatDateTime(run.startedAt)}
                  <div className="muted small">{run.startedBy === null ? 'Scheduled' : 'Started by an admin'}</div>
                </td>
                <td className="nowrap">
                  {KIND_LABELS[run.kind]}
                  {run.preview ? (
                    <>
                      {' '}
                      <Badge>Preview</Badge>
                    </>
                  ) : null}
                </td>
                <td>
                  <RunStatus run={run} />
                  {run.message ? <div className="field__error small">{run.message}</div> : null}
                </td>
                <td className="small">
                  {run.status === 'running'
                    ? `${formatCount(run.progress.done)} of ${formatCount(run.progress.total)} entries`
                    : countsLine(run)}
                </td>
                <td className="small directory-history__errors">
                  {run.counts.errors === 0 && run.warnings.length === 0 ? (
                    <span className="muted">—</span>
                  ) : (
                    <details>
                      <summary>
                        {formatCount(run.counts.errors)} {run.counts.errors === 1 ? 'error' : 'errors'}
                        {run.warnings.length > 0
                          ? `, ${formatCount(run.warnings.length)} ${run.warnings.length === 1 ? 'warning' : 'warnings'}`
                          : ''}
                      </summary>
                      <Problems run={run} />
                    </details>
                  )}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </section>
  );
}
