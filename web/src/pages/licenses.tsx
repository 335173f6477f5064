// Licenses (F22): each application's use against its pool as a bar, and the pool's size set by an admin.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { AppKey } from '../../../shared/access.js';
import { poolSchema } from '../../../shared/access-schemas.js';
import type { LicenseOverview } from '../access-api.js';
import { ApiError, api } from '../api.js';
import { Checkbox, Dialog, DialogButtons, formatCount, Notice, Spinner, TextField } from '../components/ui.js';
import { issuesByField } from '../forms.js';

type Item = LicenseOverview['applications'][number];

export function LicensesPage() {
  const overview = useQuery({ queryKey: ['licenses'], queryFn: () => api<LicenseOverview>('/licenses') });
  const [editing, setEditing] = useState<Item | null>(null);

  return (
    <div className="page page--narrow">
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">Licenses</h1>
        </div>
      </div>
      <p className="page__lead muted">
        Each application's licenses against the account's pool. Under a pool, new users are licensed by default; revoke
        licenses on a user's Licenses tab to save the pool.
      </p>
      {overview.isPending ? <Spinner label="Loading licenses" /> : null}
      {overview.error ? <Notice tone="error">{overview.error.message}</Notice> : null}
      {overview.data ? (
        <section className="card license-bars" aria-label="License use per application">
          {overview.data.applications.map((item) => (
            <LicenseBar
              key={item.application}
              item={item}
              users={overview.data.users}
              onEdit={() => setEditing(item)}
            />
          ))}
        </section>
      ) : null}
      {editing ? <PoolDialog item={editing} onClose={() => setEditing(null)} /> : null}
    </div>
  );
}

function LicenseBar({ item, users, onEdit }: { item: Item; users: number; onEdit: () => void }) {
  const minutes = item.kind === 'minutes';
  const used = minutes ? (item.pool?.used ?? 0) : item.licensedUsers;
  const size = item.pool?.size ?? null;
  // Without a pool the bar shows licensed users against all users.
  const of = size ?? users;
  const share = of > 0 ? Math.min(1, used / of) : 0;
  const tone = size === null ? 'none' : share >= 1 ? 'full' : share >= 0.85 ? 'high' : 'ok';
  const unit = minutes ? 'minutes' : size === null ? 'users' : 'seats';
  const label = `${formatCount(used)} of ${formatCount(of)} ${unit}`;
  return (
    <div className="license-bar" data-app={item.application}>
      <div className="license-bar__head">
        <div>
          <h2 className="license-bar__name">{item.license}</h2>
          <p className="muted small">
            {item.name}
            {minutes ? ` · ${formatCount(item.licensedUsers)} licensed users share the minutes` : ''}
            {item.pool ? (item.pool.licensedByDefault ? ' · new users licensed by default' : '') : ' · no pool'}
          </p>
        </div>
        <div className="license-bar__numbers">
          <span className="license-bar__count">{label}</span>
          {item.can.updatePool ? (
            <button type="button" className="button button--small button--secondary" onClick={onEdit}>
              {item.pool ? 'Edit pool' : 'Set pool'}
              <span className="visually-hidden"> of {item.license}</span>
            </button>
          ) : null}
        </div>
      </div>
      {/* The numbers above say it in words; the bar is the picture. */}
      <div className={`bar bar--${tone}`} aria-hidden="true" data-share={share.toFixed(3)}>
        <span className="bar__fill" style={{ width: `${(share * 100).toFixed(1)}%` }} />
      </div>
      {size !== null ? (
        <p className="small muted">
          {size - used > 0 ? `${formatCount(size - used)} ${unit} left` : `The pool is full: no ${unit} left`}
        </p>
      ) : null}
    </div>
  );
}

function PoolDialog({ item, onClose }: { item: Item; onClose: () => void }) {
  const client = useQueryClient();
  const [size, setSize] = useState(item.pool ? String(item.pool.size) : '');
  const [byDefault, setByDefault] = useState(item.pool?.licensedByDefault ?? true);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (body: unknown) => api(`/licenses/pools/${item.application as AppKey}`, { method: 'PUT', body }),
    onSuccess: () => {
      client.invalidateQueries({ queryKey: ['licenses'] });
      onClose();
    },
    onError: (error) => {
      if (error instanceof ApiError && error.fields.length > 0) setErrors(error.fieldMap());
      setMessage(error.message);
    },
  });
  const remove = useMutation({
    mutationFn: () => api(`/licenses/pools/${item.application}`, { method: 'DELETE' }),
    onSuccess: () => {
      client.invalidateQueries({ queryKey: ['licenses'] });
      onClose();
    },
    onError: (error) => setMessage(error.message),
  });
  function submit(event?: FormEvent) {
    event?.preventDefault();
    const parsed = poolSchema.safeParse({
      size: size.trim() === '' ? Number.NaN : Number(size),
      licensedByDefault: byDefault,
    });
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      return;
    }
    setErrors({});
    save.mutate(parsed.data);
  }
  const minutes = item.kind === 'minutes';
  return (
    <Dialog
      open
      title={`${item.license} pool`}
      onClose={onClose}
      footer={
        <>
          {item.pool ? (
            <button
              type="button"
              className="button button--danger-outline dialog__left"
              onClick={() => remove.mutate()}
            >
              Remove pool
            </button>
          ) : null}
          <DialogButtons
            onCancel={onClose}
            disabled={save.isPending}
            label={save.isPending ? 'Saving…' : 'Save pool'}
            onAction={() => submit()}
          />
        </>
      }
    >
      <form className="form-stack" onSubmit={submit} noValidate>
        {message ? <Notice tone="error">{message}</Notice> : null}
        <TextField
          label={minutes ? 'Minutes in the pool' : 'Seats in the pool'}
          value={size}
          onValue={setSize}
          inputMode="numeric"
          error={errors.size}
          hint={
            minutes
              ? 'Minutes of transcription and analysis shared by all licensed users.'
              : `${formatCount(item.licensedUsers)} users hold this license now; the pool cannot be smaller.`
          }
          autoFocus
        />
        <Checkbox
          label="License new users by default"
          checked={byDefault}
          onChange={setByDefault}
          hint="While the pool has room, every new user gets this license."
        />
      </form>
    </Dialog>
  );
}
