// The account's password policy: the standard rules (NIST SP 800-63B-4, OWASP ASVS 5.0) and what an admin may add.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import type { z } from 'zod';
import { passwordPolicySchema } from '../../../../shared/password-policy.js';
import type { PasswordPolicyViewSchema } from '../../../../shared/responses/security.js';
import { ApiError, api } from '../../api.js';
import { usePasswordPolicy } from '../../components/password-rules.js';
import { Notice, SelectField, Spinner, TextField } from '../../components/ui.js';
import { issuesByField } from '../../forms.js';

type PolicyView = z.output<typeof PasswordPolicyViewSchema>;

const CLASS_OPTIONS = [
  { value: '0', label: 'None (recommended: length matters more)' },
  { value: '1', label: '1 of lower-case, upper-case, digit, symbol' },
  { value: '2', label: '2 of lower-case, upper-case, digit, symbol' },
  { value: '3', label: '3 of lower-case, upper-case, digit, symbol' },
  { value: '4', label: 'All four: lower-case, upper-case, digit, symbol' },
];

export function PasswordPolicySection() {
  const client = useQueryClient();
  const policy = usePasswordPolicy();
  const [minLength, setMinLength] = useState('');
  const [minClasses, setMinClasses] = useState('0');
  const [historyCount, setHistoryCount] = useState('5');
  const [maxAgeDays, setMaxAgeDays] = useState('0');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    const data = policy.data;
    if (!data) return;
    setMinLength(data.minLength === null ? '' : String(data.minLength));
    setMinClasses(String(data.minClasses));
    setHistoryCount(String(data.historyCount));
    setMaxAgeDays(String(data.maxAgeDays));
  }, [policy.data]);

  const save = useMutation({
    mutationFn: (body: unknown) => api<PolicyView>('/security/password-policy', { method: 'PUT', body }),
    onSuccess: (data) => {
      client.setQueryData(['password-policy'], data);
      setSaved(true);
    },
    onError: (error) => {
      if (error instanceof ApiError) setErrors(error.fieldMap());
    },
  });

  const whole = (text: string) => (text.trim() === '' ? Number.NaN : Number(text.trim()));
  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    const body = {
      minLength: minLength.trim() === '' ? null : whole(minLength),
      minClasses: Number(minClasses),
      historyCount: historyCount.trim() === '' ? 0 : whole(historyCount),
      maxAgeDays: maxAgeDays.trim() === '' ? 0 : whole(maxAgeDays),
    };
    const parsed = passwordPolicySchema.safeParse(body);
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      return;
    }
    setErrors({});
    save.mutate(parsed.data);
  }

  if (policy.isPending) return <Spinner label="Loading the password policy" />;
  if (policy.error) return <Notice tone="error">{policy.error.message}</Notice>;
  const data = policy.data;
  return (
    <section className="card card--padded" aria-labelledby="password-policy-title">
      <h2 id="password-policy-title" className="card__title">
        Password policy
      </h2>
      <p className="muted">
        Every password chosen here (by users, by admins, in imports and through invitation links) must be at least{' '}
        {data.singleFactorMinLength} characters long ({data.secondFactorMinLength} for users who must also present a
        second factor), at most {data.maxLength}; it may not be or contain the username, the email address or the name
        of this account, nor be repetitive, common or known from data breaches. These defaults follow NIST SP 800-63B-4
        and OWASP ASVS 5.0.
      </p>
      <form className="form-stack" onSubmit={submit} noValidate>
        {saved ? <Notice tone="success">Password policy saved.</Notice> : null}
        <div className="form-grid">
          <TextField
            label="Minimum length"
            value={minLength}
            onValue={setMinLength}
            inputMode="numeric"
            placeholder="Standard (15, or 8 with a second factor)"
            error={errors.minLength}
            hint="Leave empty for the standard. A higher number raises it for everyone; it never lowers it."
          />
          <SelectField
            label="Character classes required"
            value={minClasses}
            onValue={setMinClasses}
            options={CLASS_OPTIONS}
            error={errors.minClasses}
            hint="Composition rules make passwords harder to remember, not to guess."
          />
          <TextField
            label="Passwords remembered"
            value={historyCount}
            onValue={setHistoryCount}
            inputMode="numeric"
            error={errors.historyCount}
            hint="A user may not choose one of their last passwords again (0 to 24; 0 = none remembered)."
          />
          <TextField
            label="Maximum age (days)"
            value={maxAgeDays}
            onValue={setMaxAgeDays}
            inputMode="numeric"
            error={errors.maxAgeDays}
            hint="0 = never. Forced changes lead to weaker passwords: set one only if a rule requires it."
          />
        </div>
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save password policy'}
          </button>
        </div>
        {save.error && !(save.error instanceof ApiError && save.error.fields.length) ? (
          <Notice tone="error">{save.error.message}</Notice>
        ) : null}
      </form>
    </section>
  );
}
