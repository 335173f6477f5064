// The outbox: every mail Roster wrote for the account, newest first. With no mail server configured, mails stay here
// and an admin can hand the link to the person; a delivered mail keeps no link.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { MAIL_STATUS_LABELS, MAIL_STATUSES } from '../../../shared/mail-schemas.js';
import type { MailSettings, OutboxMail } from '../../../shared/responses/mail.js';
import { api } from '../api.js';
import { Badge, Dialog, formatDateTime, Notice, RowButton, SelectField, Spinner } from '../components/ui.js';

interface OutboxPage {
  items: OutboxMail[];
  nextBefore: number | null;
  counts: Record<string, number>;
}

const TONES = { sent: 'green', failed: 'red', queued: 'amber', outbox: 'accent' } as const;

export function OutboxPage() {
  const client = useQueryClient();
  const [status, setStatus] = useState('');
  const [before, setBefore] = useState<number[]>([]);
  const [open, setOpen] = useState<OutboxMail | null>(null);
  const cursor = before.at(-1);
  const mails = useQuery({
    queryKey: ['outbox', status, cursor],
    queryFn: () =>
      api<OutboxPage>('/mail/outbox', { query: { status: status || undefined, before: cursor, limit: 25 } }),
    refetchInterval: 5_000,
  });
  const settings = useQuery({ queryKey: ['mail-settings'], queryFn: () => api<MailSettings>('/mail/settings') });
  const retry = useMutation({
    mutationFn: (id: number) => api(`/mail/outbox/${id}/retry`, { method: 'POST' }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['outbox'] }),
  });
  const counts = mails.data?.counts ?? {};

  return (
    <div className="page">
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">Outbox</h1>
        </div>
      </div>
      {settings.data && !settings.data.delivers ? (
        <Notice tone="info">
          No mail server is configured, so mails stay here: open one to copy its link and hand it to the person.{' '}
          <Link to="/security">Set up a mail server</Link> and they go out.
        </Notice>
      ) : null}
      <div className="toolbar">
        <SelectField
          label="Status"
          value={status}
          onValue={(value) => {
            setStatus(value);
            setBefore([]);
          }}
          options={[
            { value: '', label: `All mails (${Object.values(counts).reduce((a, b) => a + b, 0)})` },
            ...MAIL_STATUSES.map((s) => ({ value: s, label: `${MAIL_STATUS_LABELS[s]} (${counts[s] ?? 0})` })),
          ]}
        />
      </div>
      {retry.error ? <Notice tone="error">{retry.error.message}</Notice> : null}
      {mails.isPending ? <Spinner label="Loading mails" /> : null}
      {mails.data ? (
        <section className="card table-card" aria-label="Mails">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">To</th>
                <th scope="col">Subject</th>
                <th scope="col">Status</th>
                <th scope="col">Written</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {mails.data.items.length === 0 ? (
                <tr>
                  <td colSpan={5} className="table-empty">
                    No mails.
                  </td>
                </tr>
              ) : (
                mails.data.items.map((mail) => (
                  <tr key={mail.id}>
                    <td>
                      <div>{mail.to}</div>
                      {mail.user ? (
                        <Link className="muted small" to={`/users/${mail.user.id}`}>
                          {mail.user.username}
                        </Link>
                      ) : null}
                    </td>
                    <td>{mail.subject}</td>
                    <td>
                      <Badge tone={TONES[mail.status]}>{MAIL_STATUS_LABELS[mail.status]}</Badge>
                      {mail.lastError ? <div className="field__error small">{mail.lastError}</div> : null}
                      {mail.status === 'queued' && mail.attempts > 0 && mail.nextAttemptAt ? (
                        <div className="muted small">
                          Try {mail.attempts + 1} at {formatDateTime(mail.nextAttemptAt)}
                        </div>
                      ) : null}
                    </td>
                    <td className="nowrap">
                      {formatDateTime(mail.createdAt)}
                      {mail.sentAt ? <div className="muted small">Sent {formatDateTime(mail.sentAt)}</div> : null}
                    </td>
                    <td className="nowrap">
                      <RowButton label="Open" name={mail.subject} onClick={() => setOpen(mail)} />
                      {mail.status === 'failed' ? (
                        <RowButton label="Retry" name={mail.subject} onClick={() => retry.mutate(mail.id)} />
                      ) : null}
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
          <div className="pager">
            <button
              type="button"
              className="button button--ghost"
              disabled={before.length === 0}
              onClick={() => setBefore(before.slice(0, -1))}
            >
              Newer
            </button>
            <button
              type="button"
              className="button button--ghost"
              disabled={!mails.data.nextBefore}
              onClick={() => mails.data.nextBefore && setBefore([...before, mails.data.nextBefore])}
            >
              Older
            </button>
          </div>
        </section>
      ) : null}
      <Dialog
        open={open !== null}
        title={open?.subject ?? ''}
        onClose={() => setOpen(null)}
        footer={
          <button type="button" className="button button--primary" onClick={() => setOpen(null)}>
            Close
          </button>
        }
      >
        {open ? (
          <div className="form-stack">
            <div className="muted small">
              To {open.to} · {MAIL_STATUS_LABELS[open.status]} · {formatDateTime(open.createdAt)}
            </div>
            {open.link ? (
              <Notice tone="info">
                <p>Single-use link for {open.user?.username ?? open.to}: hand it to that person only.</p>
                <code className="secret" data-testid="mail-link">
                  {open.link}
                </code>
                <button
                  type="button"
                  className="button button--ghost"
                  onClick={() => navigator.clipboard?.writeText(open.link ?? '')}
                >
                  Copy link
                </button>
              </Notice>
            ) : null}
            {open.linkHidden ? (
              <Notice tone="info">The link is hidden: only someone who may change this user sees it.</Notice>
            ) : null}
            <pre className="mail-body">{open.text}</pre>
          </div>
        ) : null}
      </Dialog>
    </div>
  );
}
