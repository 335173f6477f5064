// Create user (F5): four short steps, each checked with the shared schema before moving on, then a review.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ACCESS_TYPE_LABELS, AUTH_METHOD_LABELS } from '../../../shared/constants.js';
import { userCreateSchema } from '../../../shared/schemas.js';
import { ApiError, api, type User, type UserFacets } from '../api.js';
import { withoutRuleName } from '../components/password-rules.js';
import { Notice } from '../components/ui.js';
import { UserField, type UserFieldName } from '../components/user-fields.js';
import {
  EMPTY_USER_FORM,
  FIELD_LABELS,
  issuesByField,
  LANGUAGE_OPTIONS,
  toCreateBody,
  type UserFormValues,
} from '../forms.js';

type Step = { title: string; description: string; fields: UserFieldName[] };

const STEPS: Step[] = [
  { title: 'Identity', description: 'Who the user is.', fields: ['username', 'firstName', 'lastName', 'email'] },
  {
    title: 'Contact & access',
    description: 'How to reach the user and what they may do.',
    fields: ['phone', 'department', 'nicknames', 'accessType', 'authMethod', 'enabled', 'timeZone', 'language'],
  },
  {
    title: 'Password',
    description: 'Invite the user to choose their own password, or set a first one.',
    fields: ['sendInvitation', 'password', 'temporaryPassword'],
  },
  { title: 'Review', description: 'Check and create.', fields: [] },
];

function stepOf(field: string): number {
  const index = STEPS.findIndex((step) => step.fields.includes(field as UserFieldName));
  return Math.max(0, index);
}

export function UserCreatePage() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const facets = useQuery({ queryKey: ['users', 'facets'], queryFn: () => api<UserFacets>('/users/facets') });
  const [values, setValues] = useState<UserFormValues>(EMPTY_USER_FORM);
  const [step, setStep] = useState(0);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  const create = useMutation({
    mutationFn: (body: unknown) => api<User>('/users', { method: 'POST', body }),
    onSuccess: (user) => {
      client.invalidateQueries({ queryKey: ['users'] });
      client.setQueryData(['user', String(user.id)], user);
      navigate(`/users/${user.id}`, { state: { notice: `${user.displayName || user.username} was created.` } });
    },
    onError: (error) => {
      if (!(error instanceof ApiError)) {
        setFormError(error.message);
        return;
      }
      const fields = error.fieldMap();
      if (error.code === 'UsernameTaken' && !fields.username) fields.username = error.message;
      if (fields.newPassword && !fields.password) fields.password = fields.newPassword;
      if (fields.password) fields.password = withoutRuleName(fields.password) as string;
      const known = Object.keys(fields).filter((key) => key in FIELD_LABELS);
      if (known.length === 0) {
        setFormError(error.message);
        return;
      }
      setErrors(fields);
      setFormError(null);
      const target = Math.min(...known.map(stepOf));
      setStep(target);
      focusFirstError(known.filter((key) => stepOf(key) === target));
    },
  });

  function onChange<K extends UserFieldName>(name: K, value: UserFormValues[K]) {
    setValues((current) => ({ ...current, [name]: value }));
    if (errors[name]) setErrors(({ [name]: _dropped, ...rest }) => rest);
  }

  function focusFirstError(fields: string[]) {
    requestAnimationFrame(() => {
      for (const field of fields) {
        const input = formRef.current?.querySelector<HTMLElement>(`[name="${field}"]`);
        if (input) {
          input.focus();
          return;
        }
      }
    });
  }

  /** Errors of the given steps' fields only, from the one shared schema. */
  function validate(stepIndexes: number[]): Record<string, string> {
    const parsed = userCreateSchema.safeParse(toCreateBody(values));
    if (parsed.success) return {};
    const wanted = new Set(stepIndexes.flatMap((index) => STEPS[index]?.fields ?? []));
    return Object.fromEntries(
      Object.entries(issuesByField(parsed.error.issues)).filter(([key]) => wanted.has(key as UserFieldName)),
    );
  }

  function next(event: FormEvent) {
    event.preventDefault();
    if (step < STEPS.length - 1) {
      const found = validate([step]);
      setErrors(found);
      if (Object.keys(found).length > 0) {
        focusFirstError(STEPS[step]?.fields.filter((field) => found[field]) ?? []);
        return;
      }
      setStep(step + 1);
      return;
    }
    const found = validate([0, 1, 2]);
    if (Object.keys(found).length > 0) {
      setErrors(found);
      const target = Math.min(...Object.keys(found).map(stepOf));
      setStep(target);
      return;
    }
    create.mutate(userCreateSchema.parse(toCreateBody(values)));
  }

  const current = STEPS[step] as Step;
  const stepErrors = current.fields.filter((field) => errors[field]);
  const isPasswordStep = step === 2;

  return (
    <div className="page page--narrow">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link to="/users">Users</Link>
        <span aria-hidden="true">/</span>
        <span>Create user</span>
      </nav>
      <h1 className="page__title">Create user</h1>

      <ol className="stepper" aria-label="Steps">
        {STEPS.map((item, index) => (
          <li
            key={item.title}
            className={`stepper__step${index === step ? ' is-current' : ''}${index < step ? ' is-done' : ''}`}
            aria-current={index === step ? 'step' : undefined}
          >
            <button type="button" className="stepper__button" disabled={index >= step} onClick={() => setStep(index)}>
              <span className="stepper__number">{index < step ? '✓' : index + 1}</span>
              <span className="stepper__title">{item.title}</span>
            </button>
          </li>
        ))}
      </ol>

      <form ref={formRef} className="card card--padded" onSubmit={next} noValidate>
        <div className="card__header">
          <h2 className="card__title">
            Step {step + 1} of {STEPS.length}: {current.title}
          </h2>
          <p className="muted">{current.description}</p>
        </div>

        {formError ? <Notice tone="error">{formError}</Notice> : null}
        {stepErrors.length > 0 ? (
          <div className="notice notice--error" role="alert">
            <div className="notice__body">
              <strong>
                {stepErrors.length === 1
                  ? 'One field needs your attention'
                  : `${stepErrors.length} fields need your attention`}
              </strong>
              <ul className="error-summary">
                {stepErrors.map((field) => (
                  <li key={field}>
                    {FIELD_LABELS[field]}: {errors[field]}
                  </li>
                ))}
              </ul>
            </div>
          </div>
        ) : null}

        {step < 3 ? (
          <div className={`form-grid${isPasswordStep ? ' form-grid--single' : ''}`}>
            {isPasswordStep && values.authMethod === 'sso' ? (
              <>
                <Notice tone="info">
                  This user signs in with single sign-on through your identity provider, so no password is needed.
                </Notice>
                <UserField name="sendInvitation" values={values} onChange={onChange} errors={errors} />
              </>
            ) : (
              current.fields.map((field) => (
                <UserField
                  key={field}
                  name={field}
                  values={values}
                  onChange={onChange}
                  errors={errors}
                  departments={facets.data?.departments}
                />
              ))
            )}
          </div>
        ) : (
          <Review values={values} onEdit={setStep} />
        )}

        <div className="form-actions form-actions--split">
          <div>
            {step > 0 ? (
              <button type="button" className="button button--secondary" onClick={() => setStep(step - 1)}>
                Back
              </button>
            ) : (
              <Link to="/users" className="button button--ghost">
                Cancel
              </Link>
            )}
          </div>
          <button type="submit" className="button button--primary" disabled={create.isPending}>
            {step < STEPS.length - 1 ? 'Next' : create.isPending ? 'Creating…' : 'Create user'}
          </button>
        </div>
      </form>
    </div>
  );
}

function Review({ values, onEdit }: { values: UserFormValues; onEdit: (step: number) => void }) {
  const language = LANGUAGE_OPTIONS.find((option) => option.value === values.language)?.label ?? values.language;
  const rows: { step: number; label: string; value: string }[] = [
    { step: 0, label: 'Username', value: values.username.trim().toLowerCase() },
    { step: 0, label: 'Name', value: `${values.firstName} ${values.lastName}`.trim() },
    { step: 0, label: 'Email', value: values.email },
    { step: 1, label: 'Number', value: values.phone },
    { step: 1, label: 'Department', value: values.department },
    { step: 1, label: 'Nicknames', value: values.nicknames },
    { step: 1, label: 'Access type', value: ACCESS_TYPE_LABELS[values.accessType] },
    { step: 1, label: 'Authentication', value: AUTH_METHOD_LABELS[values.authMethod] },
    { step: 1, label: 'Enabled', value: values.enabled ? 'Yes, the user can sign in' : 'No' },
    { step: 1, label: 'Time zone', value: values.timeZone || 'Account default' },
    { step: 1, label: 'Language', value: language },
    {
      step: 2,
      label: 'Password',
      value:
        values.authMethod === 'sso'
          ? 'Not needed (single sign-on)'
          : values.password
            ? values.temporaryPassword
              ? 'Set, must be changed at next sign-in'
              : 'Set'
            : 'Not set',
    },
    {
      step: 2,
      label: 'Invitation',
      value: values.sendInvitation && values.email.trim() ? `Mailed to ${values.email.trim()}` : 'None',
    },
  ];
  return (
    <dl className="review">
      {rows.map((row) => (
        <div className="review__row" key={row.label}>
          <dt>{row.label}</dt>
          <dd>{row.value || <span className="muted">—</span>}</dd>
          <dd className="review__edit">
            <button
              type="button"
              className="link-button"
              onClick={() => onEdit(row.step)}
              aria-label={`Edit ${row.label}`}
            >
              Edit
            </button>
          </dd>
        </div>
      ))}
    </dl>
  );
}
