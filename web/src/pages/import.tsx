// Import users from a file: upload, fix the column mapping, read the preview and its problems, choose the mode,
// then follow the progress (it survives a reload: the job id is in the address) and download the report.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type DragEvent, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import {
  ALL_IMPORT_FIELDS,
  IMPORT_ACCEPT,
  IMPORT_FIELD_LABELS,
  type ImportField,
  type ImportMapping,
  type ImportMode,
  MAX_IMPORT_BYTES,
  TEXT_ENCODING_LABELS,
  TEXT_ENCODINGS,
  type TextEncoding,
} from '../../../shared/import-schemas.js';
import type { ImportJob } from '../../../shared/responses/imports.js';
import { API_BASE, ApiError, api, apiUpload } from '../api.js';
import { UploadIcon } from '../components/icons.js';
import { Checkbox, formatCount, formatDateTime, Notice, Spinner } from '../components/ui.js';

const letter = (index: number) => {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    out = String.fromCharCode(65 + ((n - 1) % 26)) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
};

export function ImportPage() {
  const [params, setParams] = useSearchParams();
  const jobId = params.get('job');
  return (
    <div className="page">
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">Import users</h1>
        </div>
        <div className="page__actions">
          {jobId ? (
            <button type="button" className="button button--secondary" onClick={() => setParams({})}>
              New import
            </button>
          ) : null}
          <Link className="button button--secondary" to="/users">
            Back to users
          </Link>
        </div>
      </div>
      {jobId ? (
        <JobView id={Number(jobId)} onReplaced={(job) => setParams({ job: String(job.id) })} />
      ) : (
        <UploadView onUploaded={(job) => setParams({ job: String(job.id) })} />
      )}
    </div>
  );
}

function UploadView({ onUploaded }: { onUploaded: (job: ImportJob) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const recent = useQuery({ queryKey: ['imports'], queryFn: () => api<{ items: ImportJob[] }>('/imports') });
  const upload = useMutation({
    mutationFn: (file: File) => apiUpload<ImportJob>('/imports', file, { name: file.name }),
    onSuccess: onUploaded,
    onError: (e) => setError(e instanceof ApiError ? e.message : String(e)),
  });
  const choose = (file: File | undefined) => {
    if (!file) return;
    setError(null);
    if (file.size > MAX_IMPORT_BYTES) {
      setError(`${file.name} is larger than 50 MB: split it into smaller files`);
      return;
    }
    upload.mutate(file);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    choose(event.dataTransfer.files[0]);
  };
  return (
    <>
      <p className="page__lead">
        A CSV, TSV, TXT, XLSX, XLSM, ODS or FODS file of at most 50 MB. Required columns: <strong>Username</strong> and{' '}
        <strong>Full Name</strong>; optional: Email, Profile, Valid from, Expiration, Time zone, Language, Phone,
        Password, in this order when the file has no header row. Nothing is written until you confirm the preview.
      </p>
      {error ? (
        <Notice tone="error" onDismiss={() => setError(null)}>
          {error}
        </Notice>
      ) : null}
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target for the mouse; the button inside is the keyboard's way in. */}
      <section
        className={`card card--padded dropzone${dragging ? ' dropzone--active' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        {upload.isPending ? (
          <Spinner label="Reading the file" />
        ) : (
          <>
            <UploadIcon />
            <p className="dropzone__text">Drop a file here, or</p>
            <button type="button" className="button button--primary" onClick={() => input.current?.click()}>
              Choose a file
            </button>
            <input
              ref={input}
              type="file"
              className="visually-hidden"
              aria-label="File to import"
              accept={IMPORT_ACCEPT}
              onChange={(event) => choose(event.target.files?.[0])}
            />
          </>
        )}
      </section>
      <ExtensionSettings />
      {recent.data && recent.data.items.length > 0 ? (
        <section className="card table-card">
          <div className="card__header import-card-header">
            <h2 className="card__title">Recent imports</h2>
          </div>
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th>File</th>
                  <th>Started</th>
                  <th>Status</th>
                  <th>Created</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {recent.data.items.map((job) => (
                  <tr key={job.id}>
                    <td>
                      <Link to={`/import?job=${job.id}`}>{job.fileName}</Link>
                    </td>
                    <td>{formatDateTime(job.startedAt ?? job.createdAt)}</td>
                    <td>
                      <StatusBadge status={job.status} />
                    </td>
                    <td>{formatCount(job.progress.created)}</td>
                    <td>{formatCount(job.progress.updated)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
    </>
  );
}

function ExtensionSettings() {
  const client = useQueryClient();
  const settings = useQuery({
    queryKey: ['import-settings'],
    queryFn: () => api<{ extensionFirst: number; extensionLast: number }>('/import-settings'),
  });
  const [draft, setDraft] = useState<{ first: string; last: string } | null>(null);
  const save = useMutation({
    mutationFn: (body: { extensionFirst: number; extensionLast: number }) =>
      api('/import-settings', { method: 'PUT', body }),
    onSuccess: () => {
      setDraft(null);
      client.invalidateQueries({ queryKey: ['import-settings'] });
    },
  });
  if (!settings.data) return null;
  const first = draft?.first ?? String(settings.data.extensionFirst);
  const last = draft?.last ?? String(settings.data.extensionLast);
  return (
    <section className="card card--padded import-settings">
      <div>
        <h2 className="card__title">Extensions for users without a phone</h2>
        <p className="field__hint">Each imported user without a phone gets the first free extension of this range.</p>
      </div>
      <form
        className="import-settings__form"
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate({ extensionFirst: Number(first), extensionLast: Number(last) });
        }}
      >
        <label className="field__label" htmlFor="ext-first">
          From
        </label>
        <input
          id="ext-first"
          className="input input--narrow"
          inputMode="numeric"
          value={first}
          onChange={(e) => setDraft({ first: e.target.value, last })}
        />
        <label className="field__label" htmlFor="ext-last">
          to
        </label>
        <input
          id="ext-last"
          className="input input--narrow"
          inputMode="numeric"
          value={last}
          onChange={(e) => setDraft({ first, last: e.target.value })}
        />
        <button type="submit" className="button button--secondary" disabled={!draft || save.isPending}>
          Save range
        </button>
      </form>
      {save.error ? <p className="field__error">{save.error.message}</p> : null}
    </section>
  );
}

function StatusBadge({ status }: { status: ImportJob['status'] }) {
  const tone = { ready: 'accent', running: 'amber', done: 'green', failed: 'red', cancelled: '' }[status];
  const label = { ready: 'Previewed', running: 'Running', done: 'Done', failed: 'Failed', cancelled: 'Cancelled' }[
    status
  ];
  return <span className={`badge${tone ? ` badge--${tone}` : ''}`}>{label}</span>;
}

function JobView({ id, onReplaced }: { id: number; onReplaced: (job: ImportJob) => void }) {
  const client = useQueryClient();
  const key = ['import', id];
  const job = useQuery({
    queryKey: key,
    queryFn: () => api<ImportJob>(`/imports/${id}`),
    refetchInterval: (query) => (query.state.data?.status === 'running' ? 500 : false),
  });
  const set = (data: ImportJob) => client.setQueryData(key, data);
  if (job.isPending) return <Spinner label="Loading the import" />;
  if (job.error) return <Notice tone="error">{job.error.message}</Notice>;
  const data = job.data;
  if (data.status === 'running') return <Progress job={data} onChange={set} />;
  if (data.status === 'done') return <Report job={data} />;
  const replace = (next: ImportJob) => {
    client.setQueryData(['import', next.id], next);
    onReplaced(next);
  };
  return <Preview job={data} onChange={set} onReplaced={replace} />;
}

function Preview({
  job,
  onChange,
  onReplaced,
}: {
  job: ImportJob;
  onChange: (job: ImportJob) => void;
  onReplaced: (job: ImportJob) => void;
}) {
  const [mode, setMode] = useState<ImportMode>(job.mode);
  const [partial, setPartial] = useState(job.partial);
  const [sendInvitations, setSendInvitations] = useState(false);
  const revise = useMutation({
    mutationFn: (body: { hasHeader?: boolean; mapping?: ImportMapping; mode?: ImportMode }) =>
      api<ImportJob>(`/imports/${job.id}`, { method: 'PATCH', body }),
    onSuccess: onChange,
  });
  const start = useMutation({
    mutationFn: () =>
      api<ImportJob>(`/imports/${job.id}/start`, { method: 'POST', body: { mode, partial, sendInvitations } }),
    onSuccess: onChange,
  });
  // Another encoding reads the file again: a new preview, with its own id, replaces this one.
  const reread = useMutation({
    mutationFn: (encoding: TextEncoding) =>
      api<ImportJob>(`/imports/${job.id}/reread`, { method: 'POST', body: { encoding } }),
    onSuccess: onReplaced,
  });
  const width = Math.max(job.mapping.length, ...job.preview.map((r) => r.cells.length));
  const problemAt = new Map<string, string[]>();
  for (const p of job.problems) {
    const at = `${p.row}:${p.column ?? ''}`;
    problemAt.set(at, [...(problemAt.get(at) ?? []), p.message]);
  }
  const rowHasProblem = new Set(job.problems.map((p) => p.row));
  const setField = (index: number, field: ImportField | null) => {
    const mapping = Array.from({ length: width }, (_, i) => job.mapping[i] ?? null);
    // A field maps one column: moving it here clears it elsewhere.
    for (let i = 0; i < mapping.length; i++) if (field && mapping[i] === field) mapping[i] = null;
    mapping[index] = field;
    revise.mutate({ mapping });
  };
  const c = job.counts;
  const blocked = !!job.message || (c.badRows > 0 && !partial) || c.toCreate + c.toUpdate === 0;
  const error = revise.error ?? start.error ?? reread.error;
  return (
    <>
      {job.status === 'failed' || job.status === 'cancelled' ? (
        <Notice tone={job.status === 'failed' ? 'error' : 'info'}>{job.message}</Notice>
      ) : job.message ? (
        <Notice tone="error">{job.message}</Notice>
      ) : null}
      {error ? <Notice tone="error">{error.message}</Notice> : null}
      <section className="card card--padded import-summary" aria-label="Summary">
        <div>
          <div className="import-summary__file">{job.fileName}</div>
          <div className="field__hint">
            {job.format.toUpperCase()} · {formatBytes(job.fileBytes)} · {formatCount(c.rows)} rows
          </div>
          {job.encoding ? (
            <label className="import-encoding">
              <span className="field__hint">Read as</span>
              <select
                className="input input--compact"
                aria-label="Encoding"
                value={job.encoding}
                disabled={reread.isPending}
                onChange={(event) => reread.mutate(event.target.value as TextEncoding)}
              >
                {TEXT_ENCODINGS.map((encoding) => (
                  <option key={encoding} value={encoding}>
                    {TEXT_ENCODING_LABELS[encoding]}
                  </option>
                ))}
              </select>
              {reread.isPending ? <Spinner label="Reading the file again" /> : null}
            </label>
          ) : null}
        </div>
        <dl className="import-stats">
          <div>
            <dt>To create</dt>
            <dd data-testid="to-create">{formatCount(c.toCreate)}</dd>
          </div>
          <div>
            <dt>To update</dt>
            <dd data-testid="to-update">{formatCount(c.toUpdate)}</dd>
          </div>
          <div className={c.badRows > 0 ? 'import-stats--bad' : ''}>
            <dt>Rows with problems</dt>
            <dd data-testid="bad-rows">{formatCount(c.badRows)}</dd>
          </div>
        </dl>
      </section>

      <section className="card table-card">
        <div className="card__header import-card-header">
          <h2 className="card__title">Preview</h2>
          <Checkbox
            label="The first row is a header"
            checked={job.hasHeader}
            disabled={revise.isPending}
            onChange={(hasHeader) => revise.mutate({ hasHeader })}
          />
        </div>
        <div className="table-scroll">
          <table className="table import-preview">
            <thead>
              <tr>
                <th className="import-preview__row">Row</th>
                {Array.from({ length: width }, (_, i) => (
                  <th key={letter(i)}>
                    <div className="import-preview__col">
                      {letter(i)}
                      {job.headers[i] ? <span className="import-preview__name"> · {job.headers[i]}</span> : null}
                    </div>
                    <select
                      className="input input--compact"
                      aria-label={`Column ${letter(i)} field`}
                      value={job.mapping[i] ?? ''}
                      disabled={revise.isPending}
                      onChange={(event) => setField(i, (event.target.value || null) as ImportField | null)}
                    >
                      <option value="">Ignore</option>
                      {ALL_IMPORT_FIELDS.map((field) => (
                        <option key={field} value={field}>
                          {IMPORT_FIELD_LABELS[field]}
                        </option>
                      ))}
                    </select>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {job.preview.map((row) => (
                <tr key={row.row} className={rowHasProblem.has(row.row) ? 'row--problem' : ''}>
                  <td className="import-preview__row">{row.row}</td>
                  {Array.from({ length: width }, (_, i) => {
                    const messages = problemAt.get(`${row.row}:${letter(i)}`);
                    return (
                      <td
                        key={letter(i)}
                        className={messages ? 'import-preview__cell cell--problem' : 'import-preview__cell'}
                        title={messages?.join('\n')}
                      >
                        {row.cells[i] ?? ''}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {c.rows > job.preview.length ? (
          <p className="table-message">
            The first {job.preview.length} of {formatCount(c.rows)} rows; every row is checked.
          </p>
        ) : null}
      </section>

      {c.problems > 0 ? (
        <section className="card table-card" aria-label="Problems">
          <div className="card__header import-card-header">
            <h2 className="card__title">
              Problems <span className="count-badge">{formatCount(c.problems)}</span>
            </h2>
            <a
              className="button button--secondary button--small"
              href={`${API_BASE}/imports/${job.id}/bad-rows.csv`}
              download
            >
              Download rows with problems
            </a>
          </div>
          <div className="table-scroll import-problems">
            <table className="table">
              <thead>
                <tr>
                  <th>Row</th>
                  <th>Column</th>
                  <th>Problem</th>
                </tr>
              </thead>
              <tbody>
                {job.problems.map((p) => (
                  <tr key={`${p.row}-${p.column}-${p.code}`}>
                    <td>{p.row}</td>
                    <td>{p.column ? `${p.column}${p.field ? ` (${p.field})` : ''}` : '—'}</td>
                    <td>{p.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {c.problems > job.problems.length ? (
            <p className="table-message">The first {job.problems.length} problems; the download has them all.</p>
          ) : null}
        </section>
      ) : null}

      <section className="card card--padded import-options" aria-label="Import options">
        <fieldset className="import-options__mode">
          <legend className="field__label">Mode</legend>
          <label className="radio">
            <input
              type="radio"
              name="mode"
              checked={mode === 'create'}
              onChange={() => {
                setMode('create');
                revise.mutate({ mode: 'create' });
              }}
            />
            <span>Create new users only</span>
          </label>
          <label className="radio">
            <input
              type="radio"
              name="mode"
              checked={mode === 'upsert'}
              onChange={() => {
                setMode('upsert');
                revise.mutate({ mode: 'upsert' });
              }}
            />
            <span>Create new users and update existing usernames</span>
          </label>
        </fieldset>
        <Checkbox
          label="Import the good rows and skip the rows with problems"
          checked={partial}
          onChange={setPartial}
          hint="Off: all or nothing — one row with a problem imports nothing."
        />
        <Checkbox
          label="Mail an invitation to every new user who has an email"
          checked={sendInvitations}
          onChange={setSendInvitations}
          hint="They choose their own password through the link; new users without an email are not invited."
        />
        <div className="import-options__actions">
          <button
            type="button"
            className="button button--primary"
            disabled={blocked || start.isPending || revise.isPending}
            onClick={() => start.mutate()}
          >
            Import {formatCount(c.toCreate + c.toUpdate)} users
          </button>
          {c.badRows > 0 && !partial ? (
            <span className="field__hint">Fix the rows with problems, or import only the good rows.</span>
          ) : null}
        </div>
      </section>
    </>
  );
}

function Progress({ job, onChange }: { job: ImportJob; onChange: (job: ImportJob) => void }) {
  const cancel = useMutation({
    mutationFn: () => api<ImportJob>(`/imports/${job.id}/cancel`, { method: 'POST', body: {} }),
    onSuccess: onChange,
  });
  const p = job.progress;
  const share = p.total > 0 ? Math.min(100, Math.floor((p.processed / p.total) * 100)) : 0;
  const phase = p.phase === 'preparing' ? 'Preparing' : p.phase === 'committing' ? 'Saving' : 'Importing';
  return (
    <section className="card card--padded import-progress" aria-label="Progress">
      <div className="import-progress__head">
        <div>
          <div className="import-summary__file">{job.fileName}</div>
          <div className="field__hint">
            {phase}: {formatCount(p.processed)} of {formatCount(p.total)} rows
          </div>
        </div>
        <button
          type="button"
          className="button button--danger-outline"
          disabled={cancel.isPending}
          onClick={() => cancel.mutate()}
        >
          Cancel import
        </button>
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-label="Import progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={share}
      >
        <div className="progress__bar" style={{ width: `${share}%` }} />
      </div>
      <p className="field__hint">
        {share}% · nothing is visible until the whole import is saved; you can leave this page and come back.
      </p>
    </section>
  );
}

function Report({ job }: { job: ImportJob }) {
  const client = useQueryClient();
  const p = job.progress;
  return (
    <>
      <Notice tone="success">
        Imported {job.fileName}: {formatCount(p.created)} created, {formatCount(p.updated)} updated
        {p.skipped > 0 ? `, ${formatCount(p.skipped)} rows with problems skipped` : ''}.
      </Notice>
      <section className="card card--padded import-report" aria-label="Report">
        <dl className="import-stats">
          <div>
            <dt>Created</dt>
            <dd>{formatCount(p.created)}</dd>
          </div>
          <div>
            <dt>Updated</dt>
            <dd>{formatCount(p.updated)}</dd>
          </div>
          <div className={p.skipped > 0 ? 'import-stats--bad' : ''}>
            <dt>Skipped</dt>
            <dd>{formatCount(p.skipped)}</dd>
          </div>
        </dl>
        <div className="import-options__actions">
          {job.passwordsAvailable ? (
            <a
              className="button button--primary"
              href={`${API_BASE}/imports/${job.id}/passwords.csv`}
              download
              onClick={() => setTimeout(() => client.invalidateQueries({ queryKey: ['import', job.id] }), 1500)}
            >
              Download {formatCount(job.generatedPasswords)} generated passwords
            </a>
          ) : job.generatedPasswords > 0 ? (
            <span className="field__hint">The generated passwords were downloaded.</span>
          ) : null}
          {p.skipped > 0 ? (
            <a className="button button--secondary" href={`${API_BASE}/imports/${job.id}/bad-rows.csv`} download>
              Download rows with problems
            </a>
          ) : null}
          <Link className="button button--secondary" to="/users">
            See users
          </Link>
        </div>
        {job.passwordsAvailable ? (
          <p className="field__hint">
            The passwords can be downloaded once, from this session. Each user must choose a new password at first
            sign-in.
          </p>
        ) : null}
      </section>
    </>
  );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
