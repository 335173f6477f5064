// The user's editable fields, rendered the same way in the create steps and on the user page.
import { useId } from 'react';
import {
  ACCESS_TYPE_LABELS,
  AUTH_METHOD_LABELS,
  AUTH_METHODS,
  CONSOLE_ACCESS_TYPES,
} from '../../../shared/constants.js';
import {
  AUDIO_ACCESS,
  AUDIO_ACCESS_LABELS,
  REPORTING_ACCESS,
  REPORTING_ACCESS_LABELS,
  SCORING_ACCESS,
  SCORING_ACCESS_LABELS,
} from '../../../shared/organization-schemas.js';
import { FIELD_LABELS, LANGUAGE_OPTIONS, timeZones, type UserFormValues } from '../forms.js';
import { PasswordRules } from './password-rules.js';
import { Checkbox, ReadOnlyField, SelectField, Switch, TextField } from './ui.js';

export type UserFieldName = keyof UserFormValues;

type Props = {
  name: UserFieldName;
  values: UserFormValues;
  onChange: <K extends UserFieldName>(name: K, value: UserFormValues[K]) => void;
  errors: Record<string, string>;
  departments?: string[];
  disabled?: boolean;
};

const ACCESS_OPTIONS = CONSOLE_ACCESS_TYPES.map((type) => ({ value: type, label: ACCESS_TYPE_LABELS[type] }));
const AUTH_OPTIONS = AUTH_METHODS.map((method) => ({ value: method, label: AUTH_METHOD_LABELS[method] }));
const REPORTING_OPTIONS = REPORTING_ACCESS.map((value) => ({ value, label: REPORTING_ACCESS_LABELS[value] }));
const AUDIO_OPTIONS = AUDIO_ACCESS.map((value) => ({ value, label: AUDIO_ACCESS_LABELS[value] }));
const SCORING_OPTIONS = SCORING_ACCESS.map((value) => ({ value, label: SCORING_ACCESS_LABELS[value] }));

let zoneCache: string[] | null = null;

export function UserField({ name, values, onChange, errors, departments = [], disabled }: Props) {
  const listId = useId();
  const label = FIELD_LABELS[name] ?? name;
  const error = errors[name];
  const text = (extra: Partial<Parameters<typeof TextField>[0]> = {}) => (
    <TextField
      label={label}
      name={name}
      value={String(values[name] ?? '')}
      onValue={(value) => onChange(name, value as never)}
      error={error}
      disabled={disabled}
      {...extra}
    />
  );

  switch (name) {
    case 'username':
      return text({
        required: true,
        autoComplete: 'off',
        hint: 'Letters, digits and . _ @ + -. It cannot be changed later.',
      });
    case 'firstName':
      return text({ required: true, autoComplete: 'off' });
    case 'lastName':
      return text({ autoComplete: 'off' });
    case 'email':
      return text({ type: 'email', autoComplete: 'off', hint: 'Used for notifications and password resets.' });
    case 'phone':
      return text({ type: 'tel', autoComplete: 'off', hint: 'Internal extension or phone number.' });
    case 'department':
      return (
        <>
          {text({ list: `${listId}-departments`, autoComplete: 'off' })}
          <datalist id={`${listId}-departments`}>
            {departments.map((department) => (
              <option key={department} value={department} />
            ))}
          </datalist>
        </>
      );
    case 'accessType':
      if (values.accessType === 'scorer') {
        return (
          <ReadOnlyField label="Access type" hint="Scorer access is given through the API or the command line only.">
            Scorer (set through the API)
          </ReadOnlyField>
        );
      }
      return (
        <SelectField
          label={label}
          name={name}
          value={values.accessType}
          onValue={(value) => onChange('accessType', value as UserFormValues['accessType'])}
          options={ACCESS_OPTIONS}
          error={error}
          disabled={disabled}
        />
      );
    case 'authMethod':
      return (
        <SelectField
          label="Authentication method"
          name={name}
          value={values.authMethod}
          onValue={(value) => onChange('authMethod', value as UserFormValues['authMethod'])}
          options={AUTH_OPTIONS}
          error={error}
          disabled={disabled}
        />
      );
    case 'enabled':
      return (
        <Switch
          label="Enabled"
          checked={values.enabled}
          onChange={(checked) => onChange('enabled', checked)}
          hint={values.enabled ? 'The user can sign in.' : 'The user cannot sign in.'}
          disabled={disabled}
        />
      );
    case 'emailVerified':
      return (
        <Checkbox
          label="Email verified"
          checked={values.emailVerified}
          onChange={(checked) => onChange('emailVerified', checked)}
          disabled={disabled}
        />
      );
    case 'timeZone': {
      zoneCache ??= timeZones();
      return (
        <>
          {text({
            list: `${listId}-zones`,
            autoComplete: 'off',
            placeholder: 'Account default',
            hint: 'Empty = the account default.',
          })}
          <datalist id={`${listId}-zones`}>
            {zoneCache.map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
        </>
      );
    }
    case 'language': {
      const known = LANGUAGE_OPTIONS.some((option) => option.value === values.language);
      const options = known
        ? LANGUAGE_OPTIONS
        : [...LANGUAGE_OPTIONS, { value: values.language, label: values.language }];
      return (
        <SelectField
          label={label}
          name={name}
          value={values.language}
          onValue={(value) => onChange('language', value)}
          options={options}
          error={error}
          disabled={disabled}
        />
      );
    }
    case 'validFrom':
      return text({ type: 'date', hint: 'The user cannot sign in before this day.' });
    case 'expiresAt':
      return text({ type: 'date', hint: 'The user cannot sign in after this day.' });
    case 'nicknames':
      return text({ autoComplete: 'off', hint: 'Separate several nicknames with commas.' });
    case 'password':
      return (
        <div>
          {text({
            type: 'password',
            autoComplete: 'new-password',
            hint: 'Leave empty to let the user set it through a reset link.',
          })}
          <PasswordRules
            password={values.password}
            target={{ kind: 'new', username: values.username, email: values.email, accessType: values.accessType }}
          />
        </div>
      );
    case 'agentId':
      return text({ autoComplete: 'off', hint: 'The unique agent id in call tracking.' });
    case 'ringTo':
      return text({ type: 'tel', autoComplete: 'off', hint: 'The phone number calls for this agent ring.' });
    case 'scoringEnabled':
      return (
        <Switch
          label="Enable scoring"
          checked={values.scoringEnabled}
          onChange={(checked) => onChange('scoringEnabled', checked)}
          hint="Conversations can be assigned to this user for scoring."
          disabled={disabled}
        />
      );
    case 'roamingAgent':
      return (
        <Switch
          label="Roaming agent"
          checked={values.roamingAgent}
          onChange={(checked) => onChange('roamingAgent', checked)}
          hint="Can be assigned conversations of any group they may see."
          disabled={disabled}
        />
      );
    case 'reportingAccess':
    case 'audioAccess':
    case 'scoringAccess': {
      const options =
        name === 'reportingAccess' ? REPORTING_OPTIONS : name === 'audioAccess' ? AUDIO_OPTIONS : SCORING_OPTIONS;
      return (
        <SelectField
          label={label}
          name={name}
          value={values[name]}
          onValue={(value) => onChange(name, value as never)}
          options={options}
          error={error}
          disabled={disabled}
        />
      );
    }
    case 'visibleGroupIds':
      return null;
    case 'sendInvitation':
      return (
        <Checkbox
          label={
            values.email.trim() === ''
              ? 'Send an invitation by mail (add an email address first)'
              : values.authMethod === 'sso'
                ? `Mail ${values.email.trim()} an invitation to sign in`
                : `Mail ${values.email.trim()} an invitation to choose their own password`
          }
          checked={values.sendInvitation && values.email.trim() !== ''}
          onChange={(checked) => onChange('sendInvitation', checked)}
          disabled={disabled || values.email.trim() === ''}
        />
      );
    case 'temporaryPassword':
      return (
        <Checkbox
          label="Temporary (must change at next sign-in)"
          checked={values.temporaryPassword}
          onChange={(checked) => onChange('temporaryPassword', checked)}
          disabled={disabled || values.password === ''}
        />
      );
  }
}
