// The account's mail server (SMTP) and how long invitations work; the password is write-only.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { mailSettingsSchema, SMTP_SECURITIES, SMTP_SECURITY_LABELS } from '../../../../shared/mail-schemas.js';
import type { MailSettings } from '../../../../shared/responses/mail.js';
import { ApiError, api } from '../../api.js';
import { Checkbox, Notice, SelectField, Spinner, TextField } from '../../components/ui.js';
import { issuesByField } from '../../forms.js';

const PORTS = { starttls: 587, tls: 465, none: 25 } as const;

export function MailSettingsSection() {
  const client = useQueryClient();
  const settings = useQuery({ queryKey: ['mail-settings'], queryFn: () => api<MailSettings>('/mail/settings') });
  const [own, setOwn] = useState(false);
  const [host, setHost] = useState('');
  const [port, setPort] = useState('587');
  const [security, setSecurity] = useState<(typeof SMTP_SECURITIES)[number]>('starttls');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [from, setFrom] = useState('');
  const [hours, setHours] = useState('72');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    const data = settings.data;
    if (!data) return;
    setOwn(data.smtp !== null);
    setHost(data.smtp?.host ?? '');
    setPort(String(data.smtp?.port ?? 587));
    setSecurity(data.smtp?.security ?? 'starttls');
    setUser(data.smtp?.user ?? '');
    setFrom(data.smtp?.from ?? '');
    setHours(String(data.invitationHours));
  }, [settings.data]);

  const save = useMutation({
    mutationFn: (body: unknown) => api<MailSettings>('/mail/settings', { method: 'PUT', body }),
    onSuccess: (data) => {
      client.setQueryData(['mail-settings'], data);
      setPassword('');
      setSaved(true);
    },
    onError: (error) => {
      if (error instanceof ApiError) setErrors(flatten(error.fieldMap(), error));
    },
  });
  const test = useMutation({
    mutationFn: () => api<{ to: string }>('/mail/test', { method: 'POST', body: {} }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['outbox'] }),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    const body = {
      smtp: own
        ? {
            host,
            port: Number(port),
            security,
            user: user || undefined,
            ...(password ? { password } : {}),
            from,
          }
        : null,
      invitationHours: Number(hours),
    };
    const parsed = mailSettingsSchema.safeParse(body);
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues, { nested: true }));
      return;
    }
    setErrors({});
    save.mutate(parsed.data);
  }

  if (settings.isPending) return <Spinner label="Loading mail settings" />;
  if (settings.error) return <Notice tone="error">{settings.error.message}</Notice>;
  const data = settings.data;
  return (
    <section className="card card--padded" aria-labelledby="mail-settings-title">
      <h2 id="mail-settings-title" className="card__title">
        Mail
      </h2>
      <p className="muted">
        Invitations, password resets, email confirmations and security notices.{' '}
        {data.delivers ? (
          own ? (
            'They go through the mail server below.'
          ) : (
            `They go through the server's mail server (${data.serverSmtp?.host}:${data.serverSmtp?.port}).`
          )
        ) : (
          <>
            No mail server is set, so they stay in the <Link to="/outbox">outbox</Link>, where admins can read them.
          </>
        )}
      </p>
      <form className="form-stack" onSubmit={submit} noValidate>
        {saved ? <Notice tone="success">Mail settings saved.</Notice> : null}
        <Checkbox label="Use this account's own mail server (SMTP)" checked={own} onChange={setOwn} />
        {own ? (
          <div className="form-grid">
            <TextField label="Host" value={host} onValue={setHost} required error={errors['smtp.host']} />
            <SelectField
              label="Security"
              value={security}
              onValue={(value) => {
                const next = value as (typeof SMTP_SECURITIES)[number];
                if (Number(port) === PORTS[security]) setPort(String(PORTS[next]));
                setSecurity(next);
              }}
              options={SMTP_SECURITIES.map((s) => ({ value: s, label: SMTP_SECURITY_LABELS[s] }))}
            />
            <TextField
              label="Port"
              value={port}
              onValue={setPort}
              inputMode="numeric"
              required
              error={errors['smtp.port']}
            />
            <TextField
              label="From"
              value={from}
              onValue={setFrom}
              required
              placeholder="Roster <roster@example.com>"
              error={errors['smtp.from']}
            />
            <TextField
              label="User name"
              value={user}
              onValue={setUser}
              autoComplete="off"
              error={errors['smtp.user']}
            />
            <TextField
              label="Password"
              type="password"
              value={password}
              onValue={setPassword}
              autoComplete="new-password"
              error={errors['smtp.password']}
              hint={data.smtp?.passwordSet ? 'A password is stored. Leave empty to keep it.' : undefined}
            />
          </div>
        ) : null}
        <TextField
          label="Invitations work for (hours)"
          value={hours}
          onValue={setHours}
          inputMode="numeric"
          error={errors.invitationHours}
          hint="How long the link in an invitation mail works: 72 hours unless you change it."
        />
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save mail settings'}
          </button>
          <button
            type="button"
            className="button button--ghost"
            onClick={() => test.mutate()}
            disabled={test.isPending}
          >
            Send me a test mail
          </button>
        </div>
        {test.isSuccess ? (
          <Notice tone="success">
            A test mail to {test.data.to} is on its way: follow it in the <Link to="/outbox">outbox</Link>.
          </Notice>
        ) : null}
        {test.error ? <Notice tone="error">{test.error.message}</Notice> : null}
        {save.error && !(save.error instanceof ApiError && save.error.fields.length) ? (
          <Notice tone="error">{save.error.message}</Notice>
        ) : null}
      </form>
    </section>
  );
}

/** Field errors from the server keyed by their full path (smtp.host), as the form shows them. */
function flatten(byTop: Record<string, string>, error: ApiError): Record<string, string> {
  const out: Record<string, string> = { ...byTop };
  for (const field of error.fields) out[field.path] ??= field.message;
  return out;
}
