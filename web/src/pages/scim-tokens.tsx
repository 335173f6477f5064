// Provisioning (SCIM): the tokens identity providers (Entra ID, Okta…) provision users and groups with. A new token
// is shown once, with the SCIM base URL to paste next to it at the provider.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { type NewScimToken, type ScimToken, scimTokenCreateSchema } from '../../../shared/responses/scim-tokens.js';
import { api } from '../api.js';
import { CopyButton } from '../components/copy-button.js';
import { TokenList } from '../components/token-list.js';
import { Notice, Spinner, TextField } from '../components/ui.js';
import { issuesByField } from '../forms.js';

export function ScimTokensPage() {
  const client = useQueryClient();
  const tokens = useQuery({
    queryKey: ['scim-tokens'],
    queryFn: () => api<{ items: ScimToken[]; baseUrl: string }>('/scim-tokens'),
  });
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [created, setCreated] = useState<NewScimToken | null>(null);
  const baseUrl = tokens.data?.baseUrl ?? '';
  const create = useMutation({
    mutationFn: (body: unknown) => api<NewScimToken>('/scim-tokens', { method: 'POST', body }),
    onSuccess: (token) => {
      setCreated(token);
      setName('');
      client.invalidateQueries({ queryKey: ['scim-tokens'] });
    },
    onError: (e) => setError(e.message),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = scimTokenCreateSchema.safeParse({ name });
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
          <h1 className="page__title">Provisioning (SCIM)</h1>
        </div>
      </div>
      <p className="page__lead muted">
        Your identity provider (Microsoft Entra ID, Okta, OneLogin, JumpCloud, Google) creates, updates and disables
        users and groups in Roster through SCIM 2.0. Give it the base URL below and a token created here; it can change
        any user of the account, so keep the token as safe as an admin's password.
      </p>
      <div className="card card--padded scim-base">
        <label className="field__label" htmlFor="scim-base-url">
          SCIM base URL (Tenant URL)
        </label>
        <div className="copy-field">
          <input id="scim-base-url" className="input" readOnly value={baseUrl} />
          <CopyButton value={baseUrl} label="SCIM base URL" disabled={!baseUrl} />
        </div>
      </div>
      {created ? (
        <Notice tone="success" onDismiss={() => setCreated(null)}>
          <p>
            <strong>{created.name}</strong>: copy the token now and paste it as the secret token at your identity
            provider. It is shown only this once.
          </p>
          <div className="copy-field">
            <code className="secret" data-testid="new-scim-token">
              {created.token}
            </code>
            <CopyButton value={created.token} label="token" />
          </div>
        </Notice>
      ) : null}
      <form className="card card--padded key-form" onSubmit={submit} noValidate>
        <TextField
          label="Name"
          value={name}
          onValue={setName}
          error={error}
          hint="Which identity provider uses it, e.g. Entra ID."
        />
        <button type="submit" className="button button--primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create token'}
        </button>
      </form>
      {tokens.isPending ? <Spinner label="Loading tokens" /> : null}
      {tokens.error ? <Notice tone="error">{tokens.error.message}</Notice> : null}
      {tokens.data ? (
        <TokenList
          label="SCIM tokens"
          secretHeader="Token"
          empty="No SCIM tokens yet."
          items={tokens.data.items}
          revokeNote="The identity provider using this token will be refused from now on, and users stop being provisioned."
          onRevoke={async (token) => {
            await api(`/scim-tokens/${token.id}`, { method: 'DELETE' });
            if (created?.id === token.id) setCreated(null);
            await client.invalidateQueries({ queryKey: ['scim-tokens'] });
          }}
        />
      ) : null}
    </div>
  );
}
