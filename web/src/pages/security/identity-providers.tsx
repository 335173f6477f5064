// Single sign-on: the account's OpenID Connect identity providers (add, edit, delete) and the redirect URI to
// register at each. The client secret is write-only: it is never shown, and left blank it stays as it is.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { IdentityProvider, IdentityProviderList } from '../../../../shared/responses/sso.js';
import {
  DEFAULT_SCOPES,
  identityProviderCreateSchema,
  identityProviderUpdateSchema,
  SSO_ACCESS_TYPES,
  type SsoAccessType,
} from '../../../../shared/sso-schemas.js';
import { ApiError, api } from '../../api.js';
import {
  Badge,
  Dialog,
  DialogButtons,
  Notice,
  RowButton,
  SelectField,
  Spinner,
  Switch,
  TextField,
} from '../../components/ui.js';
import { issuesByField } from '../../forms.js';

const ACCESS_LABELS: Record<SsoAccessType, string> = {
  standard: 'Standard',
  read_only: 'Read-only',
  identified_only: 'Identified-only',
  admin: 'Admin',
};

interface FormValues {
  name: string;
  slug: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  usernameClaim: string;
  enabled: boolean;
  linkVerifiedEmail: boolean;
  createUsers: boolean;
  newUserAccessType: SsoAccessType;
}

const EMPTY: FormValues = {
  name: '',
  slug: '',
  issuer: '',
  clientId: '',
  clientSecret: '',
  scopes: DEFAULT_SCOPES,
  usernameClaim: 'email',
  enabled: true,
  linkVerifiedEmail: false,
  createUsers: false,
  newUserAccessType: 'standard',
};

const toForm = (provider: IdentityProvider): FormValues => ({
  name: provider.name,
  slug: provider.slug,
  issuer: provider.issuer,
  clientId: provider.clientId,
  clientSecret: '',
  scopes: provider.scopes,
  usernameClaim: provider.usernameClaim,
  enabled: provider.enabled,
  linkVerifiedEmail: provider.linkVerifiedEmail,
  createUsers: provider.createUsers,
  newUserAccessType: provider.newUserAccessType,
});

const slugOf = (name: string) =>
  name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);

export function IdentityProvidersSection() {
  const client = useQueryClient();
  const providers = useQuery({
    queryKey: ['identity-providers'],
    queryFn: () => api<IdentityProviderList>('/identity-providers'),
  });
  const [editing, setEditing] = useState<IdentityProvider | 'new' | null>(null);
  const [deleting, setDeleting] = useState<IdentityProvider | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  const remove = useMutation({
    mutationFn: (provider: IdentityProvider) => api(`/identity-providers/${provider.id}`, { method: 'DELETE' }),
    onSuccess: (_r, provider) => {
      setDeleting(null);
      setNotice(`${provider.name} was deleted.`);
      client.invalidateQueries({ queryKey: ['identity-providers'] });
    },
  });

  const redirectUri = providers.data?.redirectUri ?? '';
  async function copy() {
    await navigator.clipboard.writeText(redirectUri).catch(() => undefined);
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  }

  return (
    <section className="card table-card sso-section" aria-labelledby="section-sso">
      <div className="section-card__header sso-section__header">
        <div>
          <h2 className="card__title" id="section-sso">
            Single sign-on
          </h2>
          <p className="muted">
            People sign in through your OpenID Connect identity provider (Entra ID, Okta, Google, Keycloak…).
          </p>
        </div>
        <button type="button" className="button button--primary" onClick={() => setEditing('new')}>
          Add provider
        </button>
      </div>
      <div className="sso-section__redirect">
        <label className="field__label" htmlFor="sso-redirect-uri">
          Redirect URI to register at the provider
        </label>
        <div className="copy-field">
          <input id="sso-redirect-uri" className="input" readOnly value={redirectUri} />
          <button type="button" className="button button--secondary" onClick={copy} disabled={!redirectUri}>
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
      </div>
      {notice ? (
        <div className="section-card__empty">
          <Notice tone="success" onDismiss={() => setNotice(null)}>
            {notice}
          </Notice>
        </div>
      ) : null}
      {providers.isPending ? <Spinner label="Loading identity providers" /> : null}
      {providers.error ? (
        <div className="section-card__empty">
          <Notice tone="error">{providers.error.message}</Notice>
        </div>
      ) : null}
      {providers.data ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Issuer</th>
              <th scope="col">Users</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {providers.data.items.length === 0 ? (
              <tr>
                <td colSpan={4} className="table-empty">
                  No identity provider yet: everyone signs in with a password.
                </td>
              </tr>
            ) : (
              providers.data.items.map((provider) => (
                <tr key={provider.id}>
                  <td>
                    <div className="sso-provider__name">
                      <strong>{provider.name}</strong>{' '}
                      {provider.enabled ? <Badge tone="green">Enabled</Badge> : <Badge>Disabled</Badge>}
                    </div>
                    <code className="muted">{provider.slug}</code>
                  </td>
                  <td className="sso-provider__issuer">
                    <code>{provider.issuer}</code>
                  </td>
                  <td>
                    <div>Username from {provider.usernameClaim}</div>
                    <div className="muted">
                      {provider.linkVerifiedEmail ? 'Links verified emails' : 'No email linking'} ·{' '}
                      {provider.createUsers
                        ? `Creates ${ACCESS_LABELS[provider.newUserAccessType]} users`
                        : 'Creates no users'}
                    </div>
                  </td>
                  <td className="nowrap">
                    <RowButton label="Edit" name={provider.name} onClick={() => setEditing(provider)} />{' '}
                    <RowButton
                      label="Delete"
                      name={provider.name}
                      variant="danger-outline"
                      onClick={() => setDeleting(provider)}
                    />
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      ) : null}
      {editing !== null ? (
        <ProviderDialog
          provider={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(saved, created) => {
            setEditing(null);
            setNotice(created ? `${saved.name} was added.` : `${saved.name} was saved.`);
            client.invalidateQueries({ queryKey: ['identity-providers'] });
          }}
        />
      ) : null}
      <Dialog
        open={deleting !== null}
        title={`Delete ${deleting?.name ?? ''}?`}
        onClose={() => setDeleting(null)}
        footer={
          <DialogButtons
            onCancel={() => setDeleting(null)}
            label="Delete"
            danger
            disabled={remove.isPending}
            onAction={() => deleting && remove.mutate(deleting)}
          />
        }
      >
        <p>
          Nobody can sign in through {deleting?.name} any more, and the identities linked through it are removed. Users
          whose authentication method is single sign-on cannot sign in until they are linked again.
        </p>
        {remove.error ? <Notice tone="error">{remove.error.message}</Notice> : null}
      </Dialog>
    </section>
  );
}

function ProviderDialog({
  provider,
  onClose,
  onSaved,
}: {
  provider: IdentityProvider | null;
  onClose: () => void;
  onSaved: (provider: IdentityProvider, created: boolean) => void;
}) {
  const [values, setValues] = useState<FormValues>(provider ? toForm(provider) : EMPTY);
  const [slugTouched, setSlugTouched] = useState(provider !== null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set =
    <K extends keyof FormValues>(key: K) =>
    (value: FormValues[K]) =>
      setValues((current) => {
        const next = { ...current, [key]: value };
        if (key === 'name' && !slugTouched) next.slug = slugOf(String(value));
        return next;
      });
  const save = useMutation({
    mutationFn: (body: unknown) =>
      provider
        ? api<IdentityProvider>(`/identity-providers/${provider.id}`, { method: 'PATCH', body })
        : api<IdentityProvider>('/identity-providers', { method: 'POST', body }),
    onSuccess: (saved) => onSaved(saved, provider === null),
    onError: (error) => {
      if (error instanceof ApiError) setErrors(error.fieldMap());
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = provider
      ? { ...values, clientSecret: values.clientSecret || undefined }
      : { ...values, clientSecret: values.clientSecret };
    const parsed = provider
      ? identityProviderUpdateSchema.safeParse(body)
      : identityProviderCreateSchema.safeParse(body);
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      return;
    }
    setErrors({});
    save.mutate(parsed.data);
  }

  const serverError = save.error instanceof ApiError && Object.keys(errors).length === 0 ? save.error : null;
  return (
    <Dialog
      open
      title={provider ? `Edit ${provider.name}` : 'Add an identity provider'}
      onClose={onClose}
      footer={
        <DialogButtons
          onCancel={onClose}
          label={save.isPending ? 'Checking the provider…' : provider ? 'Save' : 'Add provider'}
          form="identity-provider-form"
          disabled={save.isPending}
        />
      }
    >
      <form id="identity-provider-form" className="form-stack" onSubmit={submit} noValidate>
        {serverError ? <Notice tone="error">{serverError.message}</Notice> : null}
        <div className="form-grid">
          <TextField label="Name" value={values.name} onValue={set('name')} error={errors.name} required />
          <TextField
            label="Slug"
            value={values.slug}
            onValue={(value) => {
              setSlugTouched(true);
              set('slug')(value);
            }}
            error={errors.slug}
            hint="Lower-case letters, digits and -; it appears in the sign-in URL."
            required
          />
        </div>
        <TextField
          label="Issuer URL"
          value={values.issuer}
          onValue={set('issuer')}
          error={errors.issuer}
          hint="Roster reads its discovery document (/.well-known/openid-configuration) when you save."
          placeholder="https://login.example.com/realms/acme"
          required
        />
        <div className="form-grid">
          <TextField
            label="Client ID"
            value={values.clientId}
            onValue={set('clientId')}
            error={errors.clientId}
            autoComplete="off"
            required
          />
          <TextField
            label="Client secret"
            type="password"
            value={values.clientSecret}
            onValue={set('clientSecret')}
            error={errors.clientSecret}
            autoComplete="new-password"
            placeholder={provider ? 'Leave blank to keep' : ''}
            hint={provider ? 'Write-only: leave blank to keep the current secret.' : 'Write-only: never shown again.'}
            required={!provider}
          />
        </div>
        <div className="form-grid">
          <TextField
            label="Scopes"
            value={values.scopes}
            onValue={set('scopes')}
            error={errors.scopes}
            hint="Separated by spaces; must include openid."
          />
          <TextField
            label="Username claim"
            value={values.usernameClaim}
            onValue={set('usernameClaim')}
            error={errors.usernameClaim}
            hint="The claim that becomes the username of created users, e.g. email or preferred_username."
          />
        </div>
        <Switch label="Enabled" checked={values.enabled} onChange={set('enabled')} />
        <Switch
          label="Link existing users by verified email"
          checked={values.linkVerifiedEmail}
          onChange={set('linkVerifiedEmail')}
          hint="A first sign-in links the user with the same email, only when the provider says the email is verified."
        />
        <Switch
          label="Create users on first sign-in"
          checked={values.createUsers}
          onChange={set('createUsers')}
          hint="Someone not linked yet gets a new single sign-on user."
        />
        {values.createUsers ? (
          <SelectField
            label="Access type of created users"
            value={values.newUserAccessType}
            onValue={(value) => set('newUserAccessType')(value as SsoAccessType)}
            options={SSO_ACCESS_TYPES.map((type) => ({ value: type, label: ACCESS_LABELS[type] }))}
            error={errors.newUserAccessType}
          />
        ) : null}
      </form>
    </Dialog>
  );
}
