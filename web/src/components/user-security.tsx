// On a user's page, for admins: the required actions for the next sign-in, and the one-time code device (reset it
// when the phone is lost).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { REQUIRED_ACTION_LABELS, REQUIRED_ACTIONS, type RequiredAction } from '../../../shared/constants.js';
import type { OtpStatus } from '../../../shared/responses/me.js';
import { api, type User } from '../api.js';
import { Badge, Checkbox, Dialog, formatDateTime, Notice } from './ui.js';

export function UserSecurity({ user }: { user: User }) {
  const client = useQueryClient();
  const otp = useQuery({
    queryKey: ['user', String(user.id), 'otp'],
    queryFn: () => api<OtpStatus>(`/users/${user.id}/otp`),
  });
  const [actions, setActions] = useState<RequiredAction[]>(user.requiredActions);
  const [confirmReset, setConfirmReset] = useState(false);
  const saveActions = useMutation({
    mutationFn: () => api<User>(`/users/${user.id}`, { method: 'PATCH', body: { requiredActions: actions } }),
    onSuccess: (saved) => {
      client.setQueryData(['user', String(user.id)], saved);
      setActions(saved.requiredActions);
    },
  });
  const reset = useMutation({
    mutationFn: () => api(`/users/${user.id}/otp`, { method: 'DELETE' }),
    onSuccess: () => {
      setConfirmReset(false);
      client.invalidateQueries({ queryKey: ['user', String(user.id), 'otp'] });
    },
  });
  const editable = user.can.update;
  const changed = [...actions].sort().join() !== [...user.requiredActions].sort().join();
  return (
    <section className="card card--padded" aria-labelledby="section-sign-in">
      <h2 className="card__title" id="section-sign-in">
        Sign-in
      </h2>
      <fieldset className="required-actions" disabled={!editable}>
        <legend className="field__label">Required user actions</legend>
        <p className="field__hint">What the user must do at the next sign-in, before anything else.</p>
        <div className="required-actions__grid">
          {REQUIRED_ACTIONS.map((action) => (
            <Checkbox
              key={action}
              label={REQUIRED_ACTION_LABELS[action]}
              checked={actions.includes(action)}
              onChange={(checked) => setActions(checked ? [...actions, action] : actions.filter((a) => a !== action))}
            />
          ))}
        </div>
        {saveActions.isSuccess && !changed ? <Notice tone="success">Required actions saved.</Notice> : null}
        {saveActions.error ? <Notice tone="error">{saveActions.error.message}</Notice> : null}
        {editable ? (
          <div className="form-actions">
            <button
              type="button"
              className="button button--secondary"
              disabled={!changed || saveActions.isPending}
              onClick={() => saveActions.mutate()}
            >
              Save required actions
            </button>
          </div>
        ) : null}
      </fieldset>
      <div className="otp-status">
        <span className="field__label">One-time codes</span>
        {otp.data ? (
          otp.data.configured ? (
            <div className="otp-status__line">
              <Badge tone="green">On</Badge>
              <span>
                since {formatDateTime(otp.data.configuredAt)} · {otp.data.recoveryCodesLeft} recovery codes left
              </span>
              {editable ? (
                <button
                  type="button"
                  className="button button--danger-outline button--small"
                  onClick={() => setConfirmReset(true)}
                >
                  Reset device
                </button>
              ) : null}
            </div>
          ) : (
            <div className="otp-status__line">
              <Badge>Off</Badge>
              <span className="muted">Add Configure OTP above to have the user set up a device.</span>
            </div>
          )
        ) : null}
      </div>
      <Dialog
        open={confirmReset}
        title="Reset one-time codes"
        onClose={() => setConfirmReset(false)}
        footer={
          <>
            <button type="button" className="button button--ghost" onClick={() => setConfirmReset(false)}>
              Cancel
            </button>
            <button
              type="button"
              className="button button--danger"
              onClick={() => reset.mutate()}
              disabled={reset.isPending}
            >
              Reset
            </button>
          </>
        }
      >
        <p>
          {user.displayName || user.username} will sign in with the password alone until they set up a new device (at
          once if the account requires one). They get a mail about it.
        </p>
        {reset.error ? <Notice tone="error">{reset.error.message}</Notice> : null}
      </Dialog>
    </section>
  );
}
