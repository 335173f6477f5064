// Beside a user's Status: send (again) an invitation, or a link to choose a new password, by mail.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { User } from '../api.js';
import { api } from '../api.js';
import { MailIcon } from './icons.js';
import { Notice } from './ui.js';

export function UserMailActions({ user }: { user: User }) {
  const client = useQueryClient();
  const refresh = () => {
    client.invalidateQueries({ queryKey: ['user', String(user.id)] });
    client.invalidateQueries({ queryKey: ['users'] });
    client.invalidateQueries({ queryKey: ['outbox'] });
  };
  const invite = useMutation({
    mutationFn: () => api<{ to: string }>(`/users/${user.id}/invitation`, { method: 'POST' }),
    onSuccess: refresh,
  });
  const reset = useMutation({
    mutationFn: () => api<{ to: string }>(`/users/${user.id}/password-reset`, { method: 'POST' }),
    onSuccess: refresh,
  });
  if (!user.can.update) return null;
  const noEmail = !user.email;
  const done = invite.data ?? reset.data;
  const error = invite.error ?? reset.error;
  return (
    <div className="mail-actions">
      <div className="mail-actions__buttons">
        {user.status !== 'active' ? (
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={noEmail || invite.isPending}
            title={noEmail ? 'Add an email address first' : undefined}
            onClick={() => invite.mutate()}
          >
            <MailIcon /> {user.status === 'invited' ? 'Send the invitation again' : 'Send invitation'}
          </button>
        ) : null}
        {user.authMethod === 'password' && user.status === 'active' ? (
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={noEmail || reset.isPending}
            title={noEmail ? 'Add an email address first' : undefined}
            onClick={() => reset.mutate()}
          >
            <MailIcon /> Send a password reset link
          </button>
        ) : null}
      </div>
      {done ? (
        <Notice tone="success">
          {invite.data ? 'Invitation' : 'Reset link'} queued for {done.to}.
        </Notice>
      ) : null}
      {error ? <Notice tone="error">{error.message}</Notice> : null}
    </div>
  );
}
