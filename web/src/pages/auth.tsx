// Sign-in and the "choose a new password" step a required action forces before anything else.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { changePasswordSchema, signInSchema } from '../../../shared/schemas.js';
import type { SsoError } from '../../../shared/sso-schemas.js';
import { ApiError, api, type Session } from '../api.js';
import { PasswordRules, withoutRuleName } from '../components/password-rules.js';
import { Notice, TextField } from '../components/ui.js';
import { issuesByField } from '../forms.js';
import { setSession, useSession, useSignOut } from '../session.js';

interface AuthConfig {
  defaultAccount: string | null;
  providers: { slug: string; name: string }[];
}

/** What the sign-in page says when single sign-on sent the browser back with a failure (never the provider's text). */
const SSO_ERROR_MESSAGES: Record<SsoError, string> = {
  UnknownProvider: 'This sign-in option is not available any more. Ask an admin.',
  ProviderUnavailable: 'The identity provider could not be reached. Try again in a moment.',
  FlowExpired: 'That sign-in took too long or was already used. Start again.',
  ProviderRefused: 'The identity provider did not sign you in.',
  InvalidResponse: 'The identity provider sent an answer Roster cannot trust, so you were not signed in. Ask an admin.',
  NotLinked: 'No Roster user is linked to this sign-in; ask an admin.',
  UsernameTaken: 'A Roster user with your username already exists and is not linked to this sign-in; ask an admin.',
  UserNotCreated:
    'Roster could not create your user (the provider gave no usable username, or no license is left); ask an admin.',
  UserDisabled: 'Your Roster user is disabled. Ask an admin.',
  NotYetValid: 'Your Roster user is not valid yet.',
  Expired: 'Your Roster user has expired. Ask an admin.',
  NoAccess: 'Your Roster user has no access to Roster.',
  RateLimited: 'Too many sign-in attempts from your address: wait a few minutes.',
};

export function SignInPage() {
  const client = useQueryClient();
  const [params] = useSearchParams();
  const accountFromUrl = params.get('account');
  const ssoError = params.get('sso_error');
  const config = useQuery({
    queryKey: ['auth-config', accountFromUrl],
    queryFn: () =>
      api<AuthConfig>(`/auth/config${accountFromUrl ? `?account=${encodeURIComponent(accountFromUrl)}` : ''}`),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const [account, setAccount] = useState<string | null>(accountFromUrl);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const accountValue = account ?? config.data?.defaultAccount ?? '';
  const providers = config.data?.providers ?? [];

  const signIn = useMutation({
    mutationFn: (body: { account?: string; username: string; password: string }) =>
      api<Session>('/auth/sign-in', { method: 'POST', body }),
    onSuccess: (session) => setSession(client, session),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = { account: accountValue.trim() || undefined, username, password };
    const parsed = signInSchema.safeParse(body);
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      return;
    }
    setErrors({});
    signIn.mutate(parsed.data);
  }

  const serverError = signIn.error instanceof ApiError ? signIn.error : null;

  return (
    <div className="auth-screen">
      <div className="auth-card">
        <div className="auth-card__brand">
          <span className="brand-mark" aria-hidden="true">
            R
          </span>
          <span className="brand-name brand-name--dark">Roster</span>
        </div>
        <h1 className="auth-card__title">Sign in</h1>
        <p className="auth-card__lead">People and access for your contact center.</p>
        {ssoError && !signIn.error ? (
          <Notice tone="error">
            {Object.hasOwn(SSO_ERROR_MESSAGES, ssoError)
              ? SSO_ERROR_MESSAGES[ssoError as SsoError]
              : 'Single sign-on failed. Try again.'}
          </Notice>
        ) : null}
        {signIn.error ? (
          <Notice tone="error">
            {serverError?.code === 'InvalidCredentials'
              ? 'The username or password is not correct.'
              : (serverError?.message ?? 'Sign-in failed. Try again.')}
          </Notice>
        ) : null}
        <form className="form-stack" onSubmit={submit} noValidate>
          <TextField
            label="Account"
            name="account"
            value={accountValue}
            onValue={setAccount}
            autoComplete="organization"
            error={errors.account}
          />
          <TextField
            label="Username"
            name="username"
            value={username}
            onValue={setUsername}
            autoComplete="username"
            autoFocus
            required
            error={errors.username}
          />
          <TextField
            label="Password"
            name="password"
            type="password"
            value={password}
            onValue={setPassword}
            autoComplete="current-password"
            required
            error={errors.password}
          />
          <div className="auth-card__row">
            <Link
              className="auth-card__link"
              to={`/forgot-password${accountValue ? `?account=${encodeURIComponent(accountValue)}` : ''}`}
            >
              Forgot password?
            </Link>
          </div>
          <button type="submit" className="button button--primary button--block" disabled={signIn.isPending}>
            {signIn.isPending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        {providers.length > 0 ? (
          <div className="auth-card__sso">
            <p className="auth-card__divider">
              <span>or</span>
            </p>
            {providers.map((provider) => (
              <a
                key={provider.slug}
                className="button button--secondary button--block"
                href={`/api/v1/auth/sso/${encodeURIComponent(provider.slug)}/start?account=${encodeURIComponent(
                  accountFromUrl ?? config.data?.defaultAccount ?? '',
                )}`}
              >
                Sign in with {provider.name}
              </a>
            ))}
          </div>
        ) : null}
      </div>
    </div>
  );
}

/** Required (forced at sign-in, shown alone) or voluntary (from My profile, inside the console). */
export function ChangePasswordPage({ required = false }: { required?: boolean }) {
  const session = useSession();
  const client = useQueryClient();
  const navigate = useNavigate();
  const signOut = useSignOut();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState(false);

  const change = useMutation({
    mutationFn: (body: { currentPassword: string; newPassword: string }) =>
      api<Session>('/auth/change-password', { method: 'POST', body }),
    onSuccess: (next) => {
      setSession(client, next);
      setCurrentPassword('');
      setNewPassword('');
      setConfirm('');
      setDone(true);
      if (required) navigate('/', { replace: true });
    },
    onError: (error) => {
      if (error instanceof ApiError) {
        const fields = error.fieldMap();
        if (error.code === 'InvalidCredentials' && !fields.currentPassword) {
          fields.currentPassword = 'The current password is not correct.';
        }
        if (error.code === 'PasswordPolicy' && !fields.newPassword)
          fields.newPassword = error.fields[0]?.message ?? error.message;
        if (fields.password && !fields.newPassword) fields.newPassword = fields.password;
        if (fields.newPassword) fields.newPassword = withoutRuleName(fields.newPassword) as string;
        setErrors(fields);
      }
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setDone(false);
    const parsed = changePasswordSchema.safeParse({ currentPassword, newPassword });
    const next = parsed.success ? {} : issuesByField(parsed.error.issues);
    if (!next.newPassword && newPassword !== confirm) next.confirm = 'The two new passwords do not match';
    else if (!confirm && !next.newPassword) next.confirm = 'Repeat the new password';
    setErrors(next);
    if (Object.keys(next).length > 0 || !parsed.success) return;
    change.mutate(parsed.data);
  }

  const generalError =
    change.error instanceof ApiError && change.error.fields.length === 0 && change.error.code !== 'InvalidCredentials'
      ? change.error.message
      : null;

  const form = (
    <form className="form-stack" onSubmit={submit} noValidate>
      {generalError ? <Notice tone="error">{generalError}</Notice> : null}
      {done && !required ? <Notice tone="success">Your password has been changed.</Notice> : null}
      <TextField
        label="Current password"
        type="password"
        value={currentPassword}
        onValue={setCurrentPassword}
        autoComplete="current-password"
        required
        error={errors.currentPassword}
      />
      <TextField
        label="New password"
        type="password"
        value={newPassword}
        onValue={setNewPassword}
        autoComplete="new-password"
        required
        error={errors.newPassword}
        hint="Use a long password that you do not use anywhere else: a few words in a row are easy to remember."
      />
      <PasswordRules
        password={newPassword}
        target={{
          kind: 'self',
          username: session.user.username,
          email: session.user.email,
          isAdmin: session.user.isOwner || session.user.accessType === 'admin',
        }}
      />
      <TextField
        label="Confirm new password"
        type="password"
        value={confirm}
        onValue={setConfirm}
        autoComplete="new-password"
        required
        error={errors.confirm}
      />
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={change.isPending}>
          {change.isPending ? 'Saving…' : 'Change password'}
        </button>
        {required ? (
          <button type="button" className="button button--ghost" onClick={() => signOut()}>
            Sign out
          </button>
        ) : (
          <Link className="button button--ghost" to="/profile">
            Back to profile
          </Link>
        )}
      </div>
    </form>
  );

  if (!required) {
    return (
      <div className="page page--narrow">
        <h1 className="page__title">Change password</h1>
        <div className="card card--padded">{form}</div>
      </div>
    );
  }

  return (
    <div className="auth-screen">
      <div className="auth-card">
        <div className="auth-card__brand">
          <span className="brand-mark" aria-hidden="true">
            R
          </span>
          <span className="brand-name brand-name--dark">Roster</span>
        </div>
        <h1 className="auth-card__title">Choose a new password</h1>
        <p className="auth-card__lead">
          Hello {session.user.firstName || session.user.username}, you must choose a new password before you continue.
        </p>
        {form}
      </div>
    </div>
  );
}
