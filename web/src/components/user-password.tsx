// An admin sets or resets a user's password (seed 001's Password tab): the account's password policy shows as one
// types, and a temporary password must be replaced at the user's next sign-in.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, api, type User } from '../api.js';
import { PasswordRules, withoutRuleName } from './password-rules.js';
import { Checkbox, Notice, TextField } from './ui.js';

export function UserPasswordSection({ user }: { user: User }) {
  const client = useQueryClient();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [temporary, setTemporary] = useState(true);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);

  const set = useMutation({
    mutationFn: (body: { password: string; temporary: boolean }) =>
      api<User>(`/users/${user.id}/password`, { method: 'PUT', body }),
    onSuccess: (saved, body) => {
      client.setQueryData(['user', String(user.id)], saved);
      client.invalidateQueries({ queryKey: ['users'] });
      setPassword('');
      setConfirm('');
      setDone(
        body.temporary
          ? `The password is set. ${saved.displayName} must choose a new one at the next sign-in.`
          : 'The password is set.',
      );
    },
    onError: (error) => {
      if (error instanceof ApiError) {
        const fields = error.fieldMap();
        if (fields.password) fields.password = withoutRuleName(fields.password) as string;
        setErrors(Object.keys(fields).length > 0 ? fields : { password: error.message });
      }
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    const next: Record<string, string> = {};
    if (!password) next.password = 'Password is required';
    else if (password !== confirm) next.confirm = 'The two passwords do not match';
    setErrors(next);
    if (Object.keys(next).length === 0) set.mutate({ password, temporary });
  }

  return (
    <section className="card card--padded" aria-labelledby="section-password">
      <h2 className="card__title" id="section-password">
        Password
      </h2>
      <form className="form-stack" onSubmit={submit} noValidate>
        {done ? <Notice tone="success">{done}</Notice> : null}
        <div className="form-grid">
          <div>
            <TextField
              label="New password"
              type="password"
              value={password}
              onValue={setPassword}
              autoComplete="new-password"
              error={errors.password}
              hint="The user is signed out everywhere once it is set."
            />
            <PasswordRules
              password={password}
              target={{
                kind: 'user',
                userId: user.id,
                username: user.username,
                email: user.email,
                isAdmin: user.isOwner || user.accessType === 'admin',
              }}
            />
          </div>
          <TextField
            label="Confirm the password"
            type="password"
            value={confirm}
            onValue={setConfirm}
            autoComplete="new-password"
            error={errors.confirm}
          />
        </div>
        <Checkbox
          label="Temporary: the user must choose a new password at the next sign-in"
          checked={temporary}
          onChange={setTemporary}
        />
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={set.isPending}>
            {set.isPending ? 'Saving…' : user.status === 'active' ? 'Reset password' : 'Set password'}
          </button>
        </div>
      </form>
    </section>
  );
}
