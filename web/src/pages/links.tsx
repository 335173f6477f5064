// The pages that links in mails open, and "forgot password": they work without a session. The token rides in the
// URL fragment (#token=...), which browsers never send to a server.
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useState } from 'react';
import { Link, useLocation } from 'react-router';
import type { z } from 'zod';
import { forgotPasswordSchema } from '../../../shared/mail-schemas.js';
import type { LinkInfoSchema } from '../../../shared/responses/mail.js';
import { ApiError, api } from '../api.js';
import { PasswordRules, withoutRuleName } from '../components/password-rules.js';
import { Notice, Spinner, TextField } from '../components/ui.js';
import { issuesByField } from '../forms.js';

type LinkInfo = z.output<typeof LinkInfoSchema>;

export function AuthCard({ title, lead, children }: { title: string; lead?: ReactNode; children: ReactNode }) {
  return (
    <div className="auth-screen">
      <div className="auth-card">
        <div className="auth-card__brand">
          <span className="brand-mark" aria-hidden="true">
            R
          </span>
          <span className="brand-name brand-name--dark">Roster</span>
        </div>
        <h1 className="auth-card__title">{title}</h1>
        {lead ? <p className="auth-card__lead">{lead}</p> : null}
        {children}
      </div>
    </div>
  );
}

const signInPath = (account?: string) => `/sign-in${account ? `?account=${encodeURIComponent(account)}` : ''}`;

function useToken(): string {
  const { hash } = useLocation();
  return new URLSearchParams(hash.replace(/^#/, '')).get('token') ?? '';
}

/** What a link that no longer works says, and what the user can do about it. */
function DeadLink({ error, state, account }: { error?: unknown; state?: 'used' | 'expired'; account?: string }) {
  const code = error instanceof ApiError ? error.code : state === 'used' ? 'LinkUsed' : 'LinkExpired';
  const title =
    code === 'LinkUsed' ? 'This link has already been used' : code === 'LinkExpired' ? 'This link has expired' : null;
  return (
    <AuthCard title={title ?? 'This link does not work'}>
      <Notice tone="error">
        {code === 'LinkUsed'
          ? 'Each link works only once. If you have chosen your password already, sign in with it.'
          : code === 'LinkExpired'
            ? 'For your safety, links work for a limited time. Ask for a new one.'
            : error instanceof ApiError
              ? error.message
              : 'Check that you copied the whole link from the mail, or ask for a new one.'}
      </Notice>
      <div className="form-actions">
        <Link className="button button--primary" to={signInPath(account)}>
          Go to sign-in
        </Link>
        <Link className="button button--ghost" to={`/forgot-password${account ? `?account=${account}` : ''}`}>
          Ask for a new link
        </Link>
      </div>
    </AuthCard>
  );
}

function useLinkInfo(token: string, purpose: LinkInfo['purpose']) {
  return useQuery({
    queryKey: ['link', purpose, token],
    queryFn: () => api<LinkInfo>('/auth/links/inspect', { method: 'POST', body: { token, purpose } }),
    enabled: token.length > 0,
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/** Invitation ("choose your password") and reset ("choose a new password") pages. */
export function ChoosePasswordPage({ purpose }: { purpose: 'invitation' | 'password_reset' }) {
  const token = useToken();
  const info = useLinkInfo(token, purpose);
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const choose = useMutation({
    mutationFn: () =>
      api<{ username: string; account: { slug: string } }>('/auth/links/password', {
        method: 'POST',
        body: { token, purpose, password },
      }),
    onError: (error) => {
      if (error instanceof ApiError && error.fields.length) setErrors(error.fieldMap());
    },
  });

  if (!token) return <DeadLink />;
  if (info.isPending) {
    return (
      <div className="center-screen">
        <Spinner label="Checking your link" />
      </div>
    );
  }
  if (info.error) return <DeadLink error={info.error} />;
  const link = info.data;
  if (link.state !== 'valid') return <DeadLink state={link.state} account={link.account.slug} />;
  if (choose.error instanceof ApiError && (choose.error.status === 410 || choose.error.status === 404)) {
    return <DeadLink error={choose.error} account={link.account.slug} />;
  }
  if (choose.isSuccess) {
    return (
      <AuthCard title="Your password is set">
        <Notice tone="success">
          Sign in to {link.account.name} as <strong>{link.username}</strong> with your new password.
        </Notice>
        <Link className="button button--primary button--block" to={signInPath(link.account.slug)}>
          Sign in
        </Link>
      </AuthCard>
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const next: Record<string, string> = {};
    if (!password) next.password = 'Choose a password';
    else if (password !== confirm) next.confirm = 'The two passwords do not match';
    setErrors(next);
    if (Object.keys(next).length === 0) choose.mutate();
  }

  const general =
    choose.error && !(choose.error instanceof ApiError && choose.error.fields.length) ? choose.error : null;
  return (
    <AuthCard
      title={purpose === 'invitation' ? `Welcome to ${link.account.name}` : 'Choose a new password'}
      lead={
        <>
          {purpose === 'invitation' ? 'Choose the password' : 'Choose a new password'} for{' '}
          <strong>{link.username}</strong>. You will sign in with it next.
        </>
      }
    >
      {general ? <Notice tone="error">{general.message}</Notice> : null}
      <form className="form-stack" onSubmit={submit} noValidate>
        <input type="text" name="username" autoComplete="username" value={link.username ?? ''} readOnly hidden />
        <TextField
          label="New password"
          type="password"
          value={password}
          onValue={setPassword}
          autoComplete="new-password"
          autoFocus
          required
          error={withoutRuleName(errors.password)}
          hint="Use a long passphrase that you do not use anywhere else."
        />
        {link.passwordPolicy ? (
          <PasswordRules
            password={password}
            policy={link.passwordPolicy}
            target={{
              kind: 'self',
              username: link.username ?? '',
              email: link.email,
              isAdmin: link.passwordPolicy.secondFactorRequired,
            }}
          />
        ) : null}
        <TextField
          label="Confirm the password"
          type="password"
          value={confirm}
          onValue={setConfirm}
          autoComplete="new-password"
          required
          error={errors.confirm}
        />
        <button type="submit" className="button button--primary button--block" disabled={choose.isPending}>
          {choose.isPending ? 'Saving…' : 'Set password'}
        </button>
      </form>
    </AuthCard>
  );
}

export function ForgotPasswordPage() {
  const { search } = useLocation();
  const [account, setAccount] = useState(new URLSearchParams(search).get('account') ?? '');
  const [login, setLogin] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const ask = useMutation({
    mutationFn: (body: { account?: string; login: string }) =>
      api<{ message: string }>('/auth/forgot-password', { method: 'POST', body }),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = forgotPasswordSchema.safeParse({ account: account.trim() || undefined, login });
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      return;
    }
    setErrors({});
    ask.mutate(parsed.data);
  }

  if (ask.isSuccess) {
    return (
      <AuthCard title="Check your mail">
        <Notice tone="success">{ask.data.message}</Notice>
        <Link className="button button--ghost button--block" to={signInPath(account.trim())}>
          Back to sign-in
        </Link>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Forgot your password?" lead="We will mail you a link to choose a new one.">
      {ask.error ? <Notice tone="error">{ask.error.message}</Notice> : null}
      <form className="form-stack" onSubmit={submit} noValidate>
        <TextField
          label="Account"
          name="account"
          value={account}
          onValue={setAccount}
          autoComplete="organization"
          hint="Leave empty for the default account."
        />
        <TextField
          label="Username or email"
          name="login"
          value={login}
          onValue={setLogin}
          autoComplete="username"
          autoFocus
          required
          error={errors.login}
        />
        <button type="submit" className="button button--primary button--block" disabled={ask.isPending}>
          {ask.isPending ? 'Sending…' : 'Send me a link'}
        </button>
        <Link className="auth-card__link" to={signInPath(account.trim())}>
          Back to sign-in
        </Link>
      </form>
    </AuthCard>
  );
}

/** The page the verification link opens: confirms the address at once. */
export function VerifyEmailLinkPage() {
  const token = useToken();
  const verify = useQuery({
    queryKey: ['verify-email', token],
    queryFn: () => api<{ to: string }>('/auth/links/verify-email', { method: 'POST', body: { token } }),
    enabled: token.length > 0,
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (!token) return <DeadLink />;
  if (verify.isPending) {
    return (
      <div className="center-screen">
        <Spinner label="Confirming your address" />
      </div>
    );
  }
  if (verify.error) return <DeadLink error={verify.error} />;
  return (
    <AuthCard title="Your email address is confirmed">
      <Notice tone="success">
        <strong>{verify.data.to}</strong> is confirmed. You can go on in Roster.
      </Notice>
      <Link className="button button--primary button--block" to="/">
        Continue
      </Link>
    </AuthCard>
  );
}

/** The Verify Email required action: shown at sign-in until the user follows the link mailed to them. */
export function VerifyEmailRequiredPage({ email, onSignOut }: { email: string | null; onSignOut: () => void }) {
  const send = useMutation({ mutationFn: () => api<{ to: string }>('/me/verify-email', { method: 'POST' }) });
  return (
    <AuthCard
      title="Confirm your email address"
      lead={
        email ? (
          <>
            An administrator asks you to confirm <strong>{email}</strong> before you go on.
          </>
        ) : (
          'Your user has no email address yet: ask an administrator to add one.'
        )
      }
    >
      {send.isSuccess ? (
        <Notice tone="success">
          We sent a link to <strong>{send.data.to}</strong>. Open it on this device to continue; it works for 24 hours.
        </Notice>
      ) : null}
      {send.error ? <Notice tone="error">{send.error.message}</Notice> : null}
      <div className="form-actions">
        <button
          type="button"
          className="button button--primary"
          disabled={!email || send.isPending}
          onClick={() => send.mutate()}
        >
          {send.isSuccess ? 'Send the link again' : 'Send me the link'}
        </button>
        <button type="button" className="button button--ghost" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </AuthCard>
  );
}
