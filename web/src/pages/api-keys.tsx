// Application keys: how the suite's applications call Roster's decision API. A new key is shown once.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { apiKeyCreateSchema } from '../../../shared/access-schemas.js';
import type { ApiKey } from '../access-api.js';
import { api } from '../api.js';
import { TokenList } from '../components/token-list.js';
import { Notice, Spinner, TextField } from '../components/ui.js';
import { issuesByField } from '../forms.js';

export function ApiKeysPage() {
  const client = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => api<{ items: ApiKey[] }>('/api-keys') });
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  const create = useMutation({
    mutationFn: (body: unknown) => api<ApiKey & { key: string }>('/api-keys', { method: 'POST', body }),
    onSuccess: (key) => {
      setCreated(key);
      setName('');
      client.invalidateQueries({ queryKey: ['api-keys'] });
    },
    onError: (e) => setError(e.message),
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
        <TokenList
          label="Application keys"
          secretHeader="Key"
          empty="No application keys yet."
          items={keys.data.items}
          canRevoke={(key) => key.can.revoke}
          revokeNote="The application using this key will be refused from now on."
          onRevoke={async (key) => {
            await api(`/api-keys/${key.id}`, { method: 'DELETE' });
            await client.invalidateQueries({ queryKey: ['api-keys'] });
          }}
        />
      ) : null}
    </div>
  );
}
