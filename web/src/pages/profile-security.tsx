// My profile's own-security sections: name and language, one-time codes, active sessions, and sign-in history.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { MySession, OtpStatus } from '../../../shared/responses/me.js';
import { meUpdateSchema } from '../../../shared/schemas.js';
import { ApiError, api, type Session } from '../api.js';
import { TimeZoneField } from '../components/time-zone-field.js';
import { Badge, Dialog, formatDateTime, Notice, RowButton, SelectField, Spinner, TextField } from '../components/ui.js';
import { issuesByField, LANGUAGE_OPTIONS } from '../forms.js';
import { setSession, useSession } from '../session.js';
import { OtpSetup } from './second-factor.js';

export function MyDetailsSection() {
  const client = useQueryClient();
  const { user } = useSession();
  const [firstName, setFirstName] = useState(user.firstName);
  const [lastName, setLastName] = useState(user.lastName ?? '');
  const [language, setLanguage] = useState(user.language ?? '');
  const [timeZone, setTimeZone] = useState(user.timeZone ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: (body: unknown) => api<Session>('/me', { method: 'PATCH', body }),
    onSuccess: (session) => setSession(client, session),
    onError: (error) => setErrors(error instanceof ApiError ? error.fieldMap() : {}),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = meUpdateSchema.safeParse({ firstName, lastName, language, timeZone });
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      return;
    }
    setErrors({});
    save.mutate(parsed.data);
  }
  return (
    <section className="card card--padded" aria-labelledby="my-details">
      <h2 className="card__title" id="my-details">
        Name and language
      </h2>
      <form className="form-stack" onSubmit={submit} noValidate>
        {save.isSuccess ? <Notice tone="success">Saved.</Notice> : null}
        <div className="form-grid">
          <TextField label="First name" value={firstName} onValue={setFirstName} required error={errors.firstName} />
          <TextField label="Last name" value={lastName} onValue={setLastName} error={errors.lastName} />
          <SelectField label="Language" value={language} onValue={setLanguage} options={LANGUAGE_OPTIONS} />
          <TimeZoneField value={timeZone} onValue={setTimeZone} error={errors.timeZone} />
        </div>
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </section>
  );
}

export function MyOtpSection() {
  const client = useQueryClient();
  const status = useQuery({ queryKey: ['me', 'otp'], queryFn: () => api<OtpStatus>('/me/otp') });
  const [mode, setMode] = useState<'idle' | 'setup' | 'codes' | 'remove'>('idle');
  const [password, setPassword] = useState('');
  const [newCodes, setNewCodes] = useState<string[] | null>(null);
  const refresh = () => {
    setMode('idle');
    setPassword('');
    client.invalidateQueries({ queryKey: ['me', 'otp'] });
  };
  const regenerate = useMutation({
    mutationFn: () =>
      api<{ recoveryCodes: string[] }>('/me/otp/recovery-codes', {
        method: 'POST',
        body: { currentPassword: password },
      }),
    onSuccess: (data) => {
      setNewCodes(data.recoveryCodes);
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => api('/me/otp/remove', { method: 'POST', body: { currentPassword: password } }),
    onSuccess: refresh,
  });
  const data = status.data;
  return (
    <section className="card card--padded" aria-labelledby="my-otp">
      <h2 className="card__title" id="my-otp">
        One-time codes
      </h2>
      {status.isPending ? <Spinner label="Loading" /> : null}
      {data ? (
        <div className="form-stack">
          <p>
            {data.configured ? (
              <>
                <Badge tone="green">On</Badge> Signing in asks for a code from your authenticator app. Set up on{' '}
                {formatDateTime(data.configuredAt)}; {data.recoveryCodesLeft} recovery codes left.
              </>
            ) : (
              <>
                <Badge>Off</Badge> Add a code from your phone to your password, so a stolen password is not enough.
              </>
            )}
          </p>
          {newCodes ? (
            <Notice tone="success" onDismiss={() => setNewCodes(null)}>
              <p>Your new recovery codes (the old ones no longer work). Save them now: they are shown only once.</p>
              <ol className="recovery-codes">
                {newCodes.map((code) => (
                  <li key={code}>
                    <code>{code}</code>
                  </li>
                ))}
              </ol>
            </Notice>
          ) : null}
          {mode === 'setup' ? (
            <OtpSetup replacing={data.configured} onDone={refresh} />
          ) : (
            <div className="form-actions">
              <button type="button" className="button button--secondary" onClick={() => setMode('setup')}>
                {data.configured ? 'Replace device' : 'Set up one-time codes'}
              </button>
              {data.configured ? (
                <>
                  <button type="button" className="button button--ghost" onClick={() => setMode('codes')}>
                    New recovery codes
                  </button>
                  <button type="button" className="button button--danger-outline" onClick={() => setMode('remove')}>
                    Remove
                  </button>
                </>
              ) : null}
            </div>
          )}
        </div>
      ) : null}
      <Dialog
        open={mode === 'codes' || mode === 'remove'}
        title={mode === 'codes' ? 'New recovery codes' : 'Remove one-time codes'}
        onClose={refresh}
        footer={
          <>
            <button type="button" className="button button--ghost" onClick={refresh}>
              Cancel
            </button>
            <button
              type="button"
              className={`button ${mode === 'remove' ? 'button--danger' : 'button--primary'}`}
              disabled={!password || regenerate.isPending || remove.isPending}
              onClick={() => (mode === 'codes' ? regenerate.mutate() : remove.mutate())}
            >
              {mode === 'codes' ? 'Make new codes' : 'Remove'}
            </button>
          </>
        }
      >
        <div className="form-stack">
          {(regenerate.error ?? remove.error) ? (
            <Notice tone="error">{(regenerate.error ?? remove.error)?.message}</Notice>
          ) : null}
          <TextField
            label="Current password"
            type="password"
            value={password}
            onValue={setPassword}
            autoComplete="current-password"
          />
        </div>
      </Dialog>
    </section>
  );
}

/** A short name for a browser from its user agent (enough to tell one's devices apart). */
function browserName(agent: string | null): string {
  if (!agent) return 'Unknown';
  const browser = /Edg\//.test(agent)
    ? 'Edge'
    : /Firefox\//.test(agent)
      ? 'Firefox'
      : /Chrome\//.test(agent)
        ? 'Chrome'
        : /Safari\//.test(agent)
          ? 'Safari'
          : agent.split(/[ /]/)[0] || 'Unknown';
  const system = /Windows/.test(agent)
    ? 'Windows'
    : /Mac OS X/.test(agent)
      ? 'macOS'
      : /Android/.test(agent)
        ? 'Android'
        : /iPhone|iPad/.test(agent)
          ? 'iOS'
          : /Linux/.test(agent)
            ? 'Linux'
            : '';
  return system ? `${browser} on ${system}` : browser;
}

const METHODS: Record<string, string> = {
  password: 'Password',
  otp: 'Password + code',
  recovery_code: 'Password + recovery code',
  sso: 'Single sign-on',
};

export function MySessionsSection() {
  const client = useQueryClient();
  const sessions = useQuery({
    queryKey: ['me', 'sessions'],
    queryFn: () => api<{ items: MySession[] }>('/me/sessions'),
  });
  const history = useQuery({
    queryKey: ['me', 'sign-ins'],
    queryFn: () =>
      api<{ items: { id: number; at: string; action: string; ip: string | null; method: string | null }[] }>(
        '/me/sign-ins',
      ),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['me'] });
  const end = useMutation({
    mutationFn: (id: string) => api(`/me/sessions/${id}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  const endOthers = useMutation({
    mutationFn: () => api('/me/sessions/sign-out-others', { method: 'POST' }),
    onSuccess: refresh,
  });
  const others = (sessions.data?.items ?? []).filter((s) => !s.current).length;
  return (
    <>
      <section className="card table-card" aria-labelledby="my-sessions">
        <div className="table-card__header">
          <h2 className="card__title" id="my-sessions">
            Where you are signed in
          </h2>
          {others > 0 ? (
            <button
              type="button"
              className="button button--secondary button--small"
              onClick={() => endOthers.mutate()}
              disabled={endOthers.isPending}
            >
              Sign out everywhere else
            </button>
          ) : null}
        </div>
        {sessions.isPending ? <Spinner label="Loading sessions" /> : null}
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Browser</th>
              <th scope="col">Address</th>
              <th scope="col">Signed in</th>
              <th scope="col">Last seen</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(sessions.data?.items ?? []).map((s) => (
              <tr key={s.id}>
                <td>
                  {browserName(s.userAgent)}
                  <div className="muted small">{METHODS[s.method] ?? s.method}</div>
                </td>
                <td>{s.ip ?? '—'}</td>
                <td className="nowrap">{formatDateTime(s.createdAt)}</td>
                <td className="nowrap">{formatDateTime(s.lastSeenAt)}</td>
                <td className="nowrap">
                  {s.current ? (
                    <Badge tone="accent">This session</Badge>
                  ) : (
                    <RowButton label="Sign out" name={browserName(s.userAgent)} onClick={() => end.mutate(s.id)} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card table-card" aria-labelledby="my-sign-ins">
        <div className="table-card__header">
          <h2 className="card__title" id="my-sign-ins">
            Recent sign-ins
          </h2>
        </div>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Address</th>
            </tr>
          </thead>
          <tbody>
            {(history.data?.items ?? []).map((e) => (
              <tr key={e.id}>
                <td className="nowrap">{formatDateTime(e.at)}</td>
                <td>{describe(e.action, e.method)}</td>
                <td>{e.ip ?? '—'}</td>
              </tr>
            ))}
            {history.data && history.data.items.length === 0 ? (
              <tr>
                <td colSpan={3} className="table-empty">
                  No sign-ins yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </section>
    </>
  );
}

function describe(action: string, method: string | null): string {
  const labels: Record<string, string> = {
    'auth.sign_in': `Signed in${method ? ` (${METHODS[method] ?? method})` : ''}`,
    'auth.sign_in_failed': 'Wrong password',
    'auth.code_failed': 'Wrong one-time code',
    'auth.locked': 'Locked after too many failures',
    'auth.password_change': 'Password changed',
    'auth.password_reset': 'Password reset by mail',
    'otp.configured': 'One-time codes set up',
    'otp.replaced': 'One-time code device replaced',
    'otp.removed': 'One-time codes removed',
    'otp.reset': 'One-time codes reset by an admin',
    'otp.recovery_codes_regenerated': 'New recovery codes',
  };
  return labels[action] ?? action;
}
