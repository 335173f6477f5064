// Directory sync (F27): the account's LDAP and Active Directory connections. An admin adds or edits one, tests it
// (which step failed, or how many users and groups it sees), previews a sync, runs one in the background and follows
// its progress, and reads the history of runs with the entries that could not be synced.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import {
  DIRECTORY_TEST_STEPS,
  type DirectoryTestStep,
  directoryConnectionCreateSchema,
  directoryConnectionTestSchema,
  directoryConnectionUpdateSchema,
  type SyncKind,
} from '../../../shared/directory-schemas.js';
import type {
  DirectoryConnection,
  DirectorySyncPreview,
  DirectorySyncRun,
  DirectoryTestResult,
} from '../../../shared/responses/directory.js';
import { ApiError, api } from '../api.js';
import {
  Badge,
  Dialog,
  DialogButtons,
  formatCount,
  formatDateTime,
  Notice,
  RowButton,
  Spinner,
} from '../components/ui.js';
import { issuesByField } from '../forms.js';
import {
  CONNECTION_FIELD_LABELS,
  ConnectionForm,
  type ConnectionFormValues,
  connectionToForm,
  createBody,
  EMPTY_CONNECTION,
  settingsBody,
  updateBody,
  VENDOR_LABELS,
} from './directory-connection-form.js';
import {
  countsLine,
  PreviewPlan,
  RunHistory,
  RunProgress,
  RunResult,
  RunStatus,
  runsKey,
  useRun,
} from './directory-sync-runs.js';

const CONNECTIONS_KEY = ['directory-connections'];

function useRuns(connectionId: number) {
  return useQuery({
    queryKey: runsKey(connectionId),
    queryFn: () => api<{ items: DirectorySyncRun[] }>(`/directory-connections/${connectionId}/runs`),
  });
}

export function DirectorySyncPage() {
  const client = useQueryClient();
  const navigate = useNavigate();
  const connections = useQuery({
    queryKey: CONNECTIONS_KEY,
    queryFn: () => api<{ items: DirectoryConnection[] }>('/directory-connections'),
  });
  const [deleting, setDeleting] = useState<DirectoryConnection | null>(null);
  const remove = useMutation({
    mutationFn: (id: number) => api(`/directory-connections/${id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setDeleting(null);
      client.invalidateQueries({ queryKey: CONNECTIONS_KEY });
    },
  });
  const items = connections.data?.items ?? [];
  return (
    <div className="page">
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">Directory sync</h1>
        </div>
        <Link className="button button--primary" to="/directory-sync/new">
          Add connection
        </Link>
      </div>
      <p className="page__lead muted">
        Roster creates, updates and disables the account's users and groups as an LDAP directory or Active Directory has
        them. A synced user's fields and team memberships follow the directory; switch sync off on a user to manage them
        here.
      </p>
      {connections.error ? <Notice tone="error">{connections.error.message}</Notice> : null}
      {connections.isPending ? <Spinner label="Loading connections" /> : null}
      {connections.data ? (
        <section className="card table-card" aria-label="Connections">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Connection</th>
                <th scope="col">Directory</th>
                <th scope="col">Schedule</th>
                <th scope="col">Last sync</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 ? (
                <tr>
                  <td colSpan={5} className="table-empty">
                    No directory connections yet.
                  </td>
                </tr>
              ) : (
                items.map((connection) => (
                  <tr key={connection.id}>
                    <td>
                      <Link to={`/directory-sync/${connection.id}`} className="table-link">
                        {connection.name}
                      </Link>
                      <div className="muted small directory-url">{connection.url}</div>
                    </td>
                    <td>{VENDOR_LABELS[connection.vendor]}</td>
                    <td className="small">{scheduleLabel(connection.scheduleMinutes)}</td>
                    <td>
                      <LastRun connectionId={connection.id} />
                    </td>
                    <td className="row-actions">
                      <RowButton
                        label="Open"
                        name={connection.name}
                        onClick={() => navigate(`/directory-sync/${connection.id}`)}
                      />
                      <RowButton
                        label="Delete"
                        name={connection.name}
                        variant="danger-outline"
                        onClick={() => setDeleting(connection)}
                      />
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </section>
      ) : null}
      <DeleteDialog
        connection={deleting}
        onClose={() => setDeleting(null)}
        onDelete={(c) => remove.mutate(c.id)}
        pending={remove.isPending}
        error={remove.error}
      />
    </div>
  );
}

function scheduleLabel(minutes: number | null): string {
  if (minutes === null) return 'On demand';
  if (minutes % 1440 === 0) return minutes === 1440 ? 'Every day' : `Every ${minutes / 1440} days`;
  if (minutes % 60 === 0) return minutes === 60 ? 'Every hour' : `Every ${minutes / 60} hours`;
  return `Every ${minutes} minutes`;
}

function LastRun({ connectionId }: { connectionId: number }) {
  const runs = useRuns(connectionId);
  const last = runs.data?.items.find((run) => !run.preview);
  if (!last) return <span className="muted">{runs.isPending ? '…' : 'Never'}</span>;
  return (
    <div>
      <RunStatus run={last} /> <span className="small">{formatDateTime(last.startedAt)}</span>
      <div className="muted small">{last.status === 'running' ? 'Running' : countsLine(last)}</div>
    </div>
  );
}

function DeleteDialog({
  connection,
  onClose,
  onDelete,
  pending,
  error,
}: {
  connection: DirectoryConnection | null;
  onClose: () => void;
  onDelete: (connection: DirectoryConnection) => void;
  pending: boolean;
  error: Error | null;
}) {
  return (
    <Dialog
      open={connection !== null}
      title={`Delete ${connection?.name ?? ''}?`}
      onClose={onClose}
      footer={
        <DialogButtons
          onCancel={onClose}
          label="Delete"
          danger
          disabled={pending}
          onAction={() => connection && onDelete(connection)}
        />
      }
    >
      <p>
        Roster stops syncing from <strong>{connection?.name}</strong> and forgets its runs. The users and groups it
        synced stay, as Roster's own; users who signed in with their directory password need a Roster password.
      </p>
      {error ? <Notice tone="error">{error.message}</Notice> : null}
    </Dialog>
  );
}

/** Field errors of an API answer, by their whole path (attributes.username). */
function apiFieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || error.fields.length === 0) return {};
  const map: Record<string, string> = {};
  for (const field of error.fields) map[field.path] ??= field.message || error.message;
  return map;
}

/** The value at a dotted path of the form (attributes.username), to tell which errors an edit answers. */
function valueAt(values: ConnectionFormValues, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | null)?.[key], values);
}

export function DirectoryConnectionPage() {
  const { id = '' } = useParams();
  const connection = useQuery({
    queryKey: ['directory-connection', id],
    queryFn: () => api<DirectoryConnection>(`/directory-connections/${encodeURIComponent(id)}`),
    enabled: id !== 'new',
  });
  if (id === 'new') return <ConnectionEditor connection={null} />;
  if (connection.isPending) {
    return (
      <div className="page">
        <Spinner label="Loading connection" />
      </div>
    );
  }
  if (connection.error) {
    return (
      <div className="page page--narrow">
        <nav className="breadcrumbs" aria-label="Breadcrumb">
          <Link to="/directory-sync">Directory sync</Link>
        </nav>
        <h1 className="page__title">Connection not available</h1>
        <Notice tone="error">
          {connection.error instanceof ApiError && connection.error.status === 404
            ? 'This directory connection does not exist or was deleted.'
            : connection.error.message}
        </Notice>
      </div>
    );
  }
  return <ConnectionEditor key={connection.data.id} connection={connection.data} />;
}

type Tab = 'sync' | 'settings';

function ConnectionEditor({ connection }: { connection: DirectoryConnection | null }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [original, setOriginal] = useState(() => (connection ? connectionToForm(connection) : EMPTY_CONNECTION));
  const [values, setValues] = useState(original);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>('sync');
  const [testResult, setTestResult] = useState<DirectoryTestResult | null>(null);
  const [deleting, setDeleting] = useState(false);
  const dirty = JSON.stringify(values) !== JSON.stringify(original);
  // After a refused save, the first field in error gets the focus (and comes into view): the form is long.
  const formRef = useRef<HTMLFormElement>(null);
  const [refusals, setRefusals] = useState(0);
  useEffect(() => {
    if (refusals > 0) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [refusals]);
  const refuse = (fieldErrors: Record<string, string>) => {
    setErrors(fieldErrors);
    setRefusals((n) => n + 1);
  };

  const edit = (next: ConnectionFormValues) => {
    setErrors((current) =>
      Object.fromEntries(
        Object.entries(current).filter(
          ([path]) => JSON.stringify(valueAt(next, path)) === JSON.stringify(valueAt(values, path)),
        ),
      ),
    );
    setValues(next);
  };
  const failedField = (result: DirectoryTestResult) => {
    setTestResult(result);
    if (!result.ok && result.field) setErrors((current) => ({ ...current, [result.field as string]: result.message }));
  };

  const save = useMutation({
    mutationFn: (body: unknown) =>
      connection
        ? api<DirectoryConnection>(`/directory-connections/${connection.id}`, { method: 'PATCH', body })
        : api<DirectoryConnection>('/directory-connections', { method: 'POST', body }),
    onSuccess: (saved) => {
      client.invalidateQueries({ queryKey: CONNECTIONS_KEY });
      client.setQueryData(['directory-connection', String(saved.id)], saved);
      if (!connection) {
        navigate(`/directory-sync/${saved.id}`, { replace: true });
        return;
      }
      const form = connectionToForm(saved);
      setRefusals(0);
      setOriginal(form);
      setValues(form);
      setNotice(`${saved.name} was saved.`);
    },
    onError: (error) => refuse(apiFieldErrors(error)),
  });
  const test = useMutation({
    mutationFn: () => {
      if (connection)
        return api<DirectoryTestResult>(`/directory-connections/${connection.id}/test`, { method: 'POST' });
      const parsed = directoryConnectionTestSchema.safeParse(settingsBody(values));
      if (!parsed.success) {
        setErrors(issuesByField(parsed.error.issues, { nested: true }));
        throw new Error('Fill in the fields marked before testing.');
      }
      return api<DirectoryTestResult>('/directory-connections/test', { method: 'POST', body: parsed.data });
    },
    onMutate: () => {
      setTestResult(null);
      // The summary of a refused save goes: what the test finds is shown with the test.
      setRefusals(0);
    },
    onSuccess: failedField,
    onError: (error) => setErrors((current) => ({ ...current, ...apiFieldErrors(error) })),
  });
  const remove = useMutation({
    mutationFn: (id: number) => api(`/directory-connections/${id}`, { method: 'DELETE' }),
    onSuccess: () => {
      client.invalidateQueries({ queryKey: CONNECTIONS_KEY });
      navigate('/directory-sync');
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    const parsed = connection
      ? directoryConnectionUpdateSchema.safeParse(updateBody(values, original))
      : directoryConnectionCreateSchema.safeParse(createBody(values));
    if (!parsed.success) {
      refuse(issuesByField(parsed.error.issues, { nested: true }));
      return;
    }
    setErrors({});
    save.mutate(parsed.data);
  }

  const formError = save.error && Object.keys(apiFieldErrors(save.error)).length === 0 ? save.error.message : null;
  const form = (
    <form className="stack" onSubmit={submit} noValidate id="directory-connection-form" ref={formRef}>
      <ConnectionForm
        values={values}
        onChange={edit}
        errors={errors}
        passwordSet={connection?.bindPasswordSet ?? false}
      />
      {formError ? <Notice tone="error">{formError}</Notice> : null}
      {refusals > 0 && Object.keys(errors).length > 0 ? (
        <Notice tone="error">
          {connection ? 'The changes were not saved' : 'The connection was not added'}: fix the fields marked.
          <ul className="error-summary">
            {Object.entries(errors).map(([path, message]) => (
              <li key={path}>
                {CONNECTION_FIELD_LABELS[path] ?? path}: {message}
              </li>
            ))}
          </ul>
        </Notice>
      ) : null}
      {!connection && (testResult || test.error) ? <TestOutcome result={testResult} error={test.error} /> : null}
      <div className="form-actions form-actions--split">
        <div className="form-actions">
          {connection ? (
            <button type="button" className="button button--danger-outline" onClick={() => setDeleting(true)}>
              Delete connection
            </button>
          ) : (
            <button
              type="button"
              className="button button--secondary"
              disabled={test.isPending}
              onClick={() => test.mutate()}
            >
              {test.isPending ? 'Testing…' : 'Test connection'}
            </button>
          )}
        </div>
        <div className="form-actions">
          {connection && dirty ? <span className="muted small">Unsaved changes</span> : null}
          <button
            type="submit"
            className="button button--primary"
            disabled={save.isPending || (connection !== null && !dirty)}
          >
            {save.isPending ? 'Saving…' : connection ? 'Save' : 'Add connection'}
          </button>
        </div>
      </div>
    </form>
  );

  return (
    <div className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link to="/directory-sync">Directory sync</Link>
        <span aria-hidden="true">/</span>
        <span>{connection ? connection.name : 'New connection'}</span>
      </nav>
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">{connection ? connection.name : 'New directory connection'}</h1>
          {connection ? <Badge tone="accent">{VENDOR_LABELS[connection.vendor]}</Badge> : null}
        </div>
      </div>
      {connection ? (
        <p className="page__lead muted directory-url">
          {connection.url} · {connection.usersBaseDn}
        </p>
      ) : (
        <p className="page__lead muted">
          Saving does not connect: test the settings first. The bind account only needs to read users and groups.
        </p>
      )}
      {notice ? (
        <Notice tone="success" onDismiss={() => setNotice(null)}>
          {notice}
        </Notice>
      ) : null}
      {connection ? (
        <>
          <div className="tabs" role="tablist" aria-label="Connection sections">
            {(
              [
                ['sync', 'Sync'],
                ['settings', 'Settings'],
              ] as const
            ).map(([key, label]) => (
              <button
                key={key}
                type="button"
                role="tab"
                id={`tab-${key}`}
                aria-selected={tab === key}
                aria-controls={`panel-${key}`}
                className={`tabs__tab${tab === key ? ' tabs__tab--active' : ''}`}
                onClick={() => setTab(key)}
              >
                {label}
                {key === 'settings' && Object.keys(errors).length > 0 ? (
                  <span className="tabs__alert" role="img" aria-label="has errors">
                    !
                  </span>
                ) : null}
              </button>
            ))}
          </div>
          <div role="tabpanel" id="panel-sync" aria-labelledby="tab-sync" hidden={tab !== 'sync'} className="stack">
            <SyncPanel
              connection={connection}
              dirty={dirty}
              test={() => test.mutate()}
              testing={test.isPending}
              testResult={testResult}
              testError={test.error}
              showSettings={() => setTab('settings')}
            />
          </div>
          <div role="tabpanel" id="panel-settings" aria-labelledby="tab-settings" hidden={tab !== 'settings'}>
            {form}
          </div>
        </>
      ) : (
        form
      )}
      {connection ? (
        <DeleteDialog
          connection={deleting ? connection : null}
          onClose={() => setDeleting(false)}
          onDelete={(c) => remove.mutate(c.id)}
          pending={remove.isPending}
          error={remove.error}
        />
      ) : null}
    </div>
  );
}

const STEP_LABELS: Record<DirectoryTestStep, string> = {
  filter: 'Filters',
  dns: 'DNS',
  tcp: 'TCP',
  tls: 'TLS',
  bind: 'Bind',
  baseDn: 'Base DNs',
  search: 'Search',
};

/** What a test found: each step passed, failed or not reached, then the counts or what to fix. */
function TestOutcome({ result, error }: { result: DirectoryTestResult | null; error: Error | null }) {
  if (!result) return error ? <Notice tone="error">{error.message}</Notice> : null;
  const failedAt = result.failedStep ? DIRECTORY_TEST_STEPS.indexOf(result.failedStep) : DIRECTORY_TEST_STEPS.length;
  return (
    <div
      className={`directory-test directory-test--${result.ok ? 'ok' : 'failed'}`}
      role="status"
      aria-label="Test result"
    >
      <ol className="directory-test__steps">
        {DIRECTORY_TEST_STEPS.map((step, index) => {
          const state = index < failedAt ? 'passed' : index === failedAt ? 'failed' : 'skipped';
          return (
            <li key={step} className={`directory-test__step directory-test__step--${state}`}>
              <span aria-hidden="true">{state === 'passed' ? '✓' : state === 'failed' ? '✕' : '·'}</span>
              {STEP_LABELS[step]}
              <span className="visually-hidden">
                {state === 'passed' ? ' passed' : state === 'failed' ? ' failed' : ' not reached'}
              </span>
            </li>
          );
        })}
      </ol>
      {result.ok ? (
        <p className="directory-test__message">
          Connected: the users filter sees <strong>{formatCount(result.users ?? 0)} users</strong> and the groups filter{' '}
          <strong>{formatCount(result.groups ?? 0)} groups</strong>{' '}
          <span className="muted">({formatCount(result.elapsedMs)} ms)</span>.
        </p>
      ) : (
        <p className="directory-test__message">
          <strong>{result.failedStep ? STEP_LABELS[result.failedStep] : 'Test'} failed:</strong> {result.message}
          {result.reason ? <span className="muted"> ({result.reason})</span> : null}
        </p>
      )}
    </div>
  );
}

function SyncPanel({
  connection,
  dirty,
  test,
  testing,
  testResult,
  testError,
  showSettings,
}: {
  connection: DirectoryConnection;
  dirty: boolean;
  test: () => void;
  testing: boolean;
  testResult: DirectoryTestResult | null;
  testError: Error | null;
  showSettings: () => void;
}) {
  const client = useQueryClient();
  const runs = useRuns(connection.id);
  const [runId, setRunId] = useState<number | null>(null);
  const [preview, setPreview] = useState<DirectorySyncPreview | null>(null);
  const [resultShown, setResultShown] = useState(true);
  const running = runs.data?.items.find((r) => r.status === 'running' && !r.preview);
  // A sync that was already running when the page opened (from the schedule, another admin or a reload) is followed too.
  const followed = runId ?? running?.id ?? null;
  const run = useRun(connection.id, followed);
  const status = run.data?.status;
  useEffect(() => {
    if (status && status !== 'running') {
      client.invalidateQueries({ queryKey: runsKey(connection.id) });
      client.invalidateQueries({ queryKey: ['users'] });
    }
  }, [status, client, connection.id]);

  const start = useMutation({
    mutationFn: (kind: SyncKind) =>
      api<{ run: DirectorySyncRun }>(`/directory-connections/${connection.id}/sync`, {
        method: 'POST',
        body: { kind },
      }),
    onMutate: () => setPreview(null),
    onSuccess: ({ run: started }) => {
      client.setQueryData(['directory-run', connection.id, started.id], started);
      setRunId(started.id);
      setResultShown(true);
      client.invalidateQueries({ queryKey: runsKey(connection.id) });
    },
  });
  const plan = useMutation({
    mutationFn: () =>
      api<DirectorySyncPreview>(`/directory-connections/${connection.id}/sync`, {
        method: 'POST',
        body: { kind: 'full', preview: true },
      }),
    onSuccess: (answer) => {
      setPreview(answer);
      client.invalidateQueries({ queryKey: runsKey(connection.id) });
    },
  });
  const busy = status === 'running' || start.isPending;
  const actionError = start.error ?? plan.error;

  return (
    <>
      <section className="card card--padded directory-actions" aria-label="Actions">
        <div className="directory-actions__buttons">
          <button type="button" className="button button--secondary" disabled={testing} onClick={test}>
            {testing ? 'Testing…' : 'Test connection'}
          </button>
          <button
            type="button"
            className="button button--secondary"
            disabled={plan.isPending || busy}
            onClick={() => plan.mutate()}
          >
            {plan.isPending ? 'Reading the directory…' : 'Preview'}
          </button>
          <span className="directory-actions__spacer" />
          <button
            type="button"
            className="button button--secondary"
            disabled={busy}
            onClick={() => start.mutate('incremental')}
          >
            Sync changes only
          </button>
          <button type="button" className="button button--primary" disabled={busy} onClick={() => start.mutate('full')}>
            Sync now
          </button>
        </div>
        <p className="muted small">
          <strong>Preview</strong> reads the directory and shows what a sync would do, writing nothing.{' '}
          <strong>Sync now</strong> reads every entry; <strong>Sync changes only</strong> reads the entries changed
          since the last sync (and notices who is gone).
          {dirty ? (
            <>
              {' '}
              These use the saved settings: your changes in{' '}
              <button type="button" className="link-button" onClick={showSettings}>
                Settings
              </button>{' '}
              are not saved yet.
            </>
          ) : null}
        </p>
        {testResult || testError ? <TestOutcome result={testResult} error={testError} /> : null}
        {actionError ? <Notice tone="error">{actionError.message}</Notice> : null}
      </section>
      {run.data && run.data.status === 'running' ? <RunProgress run={run.data} /> : null}
      {run.data && run.data.status !== 'running' && resultShown ? (
        <RunResult run={run.data} onDismiss={() => setResultShown(false)} />
      ) : null}
      {preview ? <PreviewPlan preview={preview} onClose={() => setPreview(null)} /> : null}
      {runs.isPending ? <Spinner label="Loading runs" /> : null}
      {runs.error ? <Notice tone="error">{runs.error.message}</Notice> : null}
      {runs.data ? <RunHistory runs={runs.data.items} /> : null}
    </>
  );
}
