// Application keys: how the suite's applications call Roster's decision API. A new key is shown once.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { apiKeyCreateSchema } from '../../../shared/access-schemas.js';
import type { ApiKey } from '../access-api.js';
import { api } from '../api.js';
import { Dialog, formatDateTime, Notice, RowButton, Spinner, TextField } from '../components/ui.js';
import { issuesByField } from '../forms.js';

export function ApiKeysPage() {
  const client = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => api<{ items: ApiKey[] }>('/api-keys') });
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const create = useMutation({
    mutationFn: (body: unknown) => api<ApiKey & { key: string }>('/api-keys', { method: 'POST', body }),
    onSuccess: (key) => {
      setCreated(key);
      setName('');
      client.invalidateQueries({ queryKey: ['api-keys'] });
    },
    onError: (e) => setError(e.message),
  });
  const revoke = useMutation({
    mutationFn: (id: number) => api(`/api-keys/${id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setRevoking(null);
      client.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = apiKeyCreateSchema.safeParse({ name });
    if (!parsed.success) {
      setError(issuesByField(parsed.error.issues).name);
      return;
    }
    setError(undefined);
    create.mutate(parsed.data);
  }
  return (
    <div className="page page--narrow">
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">Application keys</h1>
        </div>
      </div>
      <p className="page__lead muted">
        The suite's applications send a key as <code>Authorization: Bearer …</code> to ask Roster for authorization
        decisions and to read users' access. A key can do nothing else.
      </p>
      {created ? (
        <Notice tone="success" onDismiss={() => setCreated(null)}>
          <p>
            <strong>{created.name}</strong>: copy the key now. It is shown only this once.
          </p>
          <code className="secret" data-testid="new-key">
            {created.key}
          </code>
        </Notice>
      ) : null}
      <form className="card card--padded key-form" onSubmit={submit} noValidate>
        <TextField
          label="Name"
          value={name}
          onValue={setName}
          error={error}
          hint="Which application uses it, e.g. Voice Analytics."
        />
        <button type="submit" className="button button--primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create key'}
        </button>
      </form>
      {keys.isPending ? <Spinner label="Loading keys" /> : null}
      {keys.data ? (
        <section className="card table-card" aria-label="Application keys">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.length === 0 ? (
                <tr>
                  <td colSpan={5} className="table-empty">
                    No application keys yet.
                  </td>
                </tr>
              ) : (
                keys.data.items.map((key) => (
                  <tr key={key.id}>
                    <td>{key.name}</td>
                    <td>
                      <code>{key.hint}</code>
                    </td>
                    <td className="nowrap">{formatDateTime(key.createdAt)}</td>
                    <td className="nowrap">{key.lastUsedAt ? formatDateTime(key.lastUsedAt) : 'Never'}</td>
                    <td className="nowrap">
                      {key.can.revoke ? (
                        <RowButton
                          label="Revoke"
                          name={key.name}
                          variant="danger-outline"
                          onClick={() => setRevoking(key)}
                        />
                      ) : null}
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </section>
      ) : null}
      <Dialog
        open={revoking !== null}
        title={`Revoke ${revoking?.name ?? ''}?`}
        onClose={() => setRevoking(null)}
        footer={
          <>
            <button type="button" className="button button--secondary" onClick={() => setRevoking(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="button button--danger"
              disabled={revoke.isPending}
              onClick={() => revoking && revoke.mutate(revoking.id)}
            >
              Revoke
            </button>
          </>
        }
      >
        <p>The application using this key will be refused from now on.</p>
      </Dialog>
    </div>
  );
}
