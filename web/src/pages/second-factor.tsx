// The second step of a sign-in (a one-time code or a recovery code), setting up a one-time code device, and the pages
// of the required actions that are not a password (Update Profile, Update User Locale).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { meUpdateSchema } from '../../../shared/schemas.js';
import { ApiError, api, type Session } from '../api.js';
import { TimeZoneField } from '../components/time-zone-field.js';
import { Notice, SelectField, TextField } from '../components/ui.js';
import { issuesByField, LANGUAGE_OPTIONS } from '../forms.js';
import { setSession, useSession, useSignOut } from '../session.js';
import { AuthCard } from './links.js';

/** After a right password: the code from the authenticator app, or one recovery code. */
export function SecondFactorPage() {
  const client = useQueryClient();
  const signOut = useSignOut();
  const [recovery, setRecovery] = useState(false);
  const [value, setValue] = useState('');
  const send = useMutation({
    mutationFn: (body: { code?: string; recoveryCode?: string }) => api<Session>('/auth/otp', { method: 'POST', body }),
    onSuccess: (session) => setSession(client, session),
    onError: (error) => {
      // A session that may no longer try starts over at the password.
      if (error instanceof ApiError && (error.status === 401 || error.code === 'UserLocked')) {
        client.invalidateQueries({ queryKey: ['session'] });
      }
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = value.trim();
    if (!trimmed) return;
    send.mutate(recovery ? { recoveryCode: trimmed } : { code: trimmed.replace(/\s/g, '') });
  }
  return (
    <AuthCard
      title="Enter your one-time code"
      lead={
        recovery
          ? 'Type one of the recovery codes you saved when you set up your device. Each works once.'
          : 'Open your authenticator app and type the 6-digit code it shows for Roster.'
      }
    >
      {send.error ? <Notice tone="error">{send.error.message}</Notice> : null}
      <form className="form-stack" onSubmit={submit} noValidate>
        <TextField
          key={recovery ? 'recovery' : 'code'}
          label={recovery ? 'Recovery code' : 'Code'}
          value={value}
          onValue={setValue}
          autoComplete="one-time-code"
          inputMode={recovery ? 'text' : 'numeric'}
          autoFocus
          required
        />
        <button type="submit" className="button button--primary button--block" disabled={send.isPending}>
          {send.isPending ? 'Checking…' : 'Continue'}
        </button>
        <div className="form-actions form-actions--split">
          <button
            type="button"
            className="button button--ghost"
            onClick={() => {
              setRecovery(!recovery);
              setValue('');
            }}
          >
            {recovery ? 'Use a code from the app' : 'Use a recovery code instead'}
          </button>
          <button type="button" className="button button--ghost" onClick={() => signOut()}>
            Cancel
          </button>
        </div>
      </form>
    </AuthCard>
  );
}

interface Setup {
  secret: string;
  uri: string;
  qrSvg: string;
}

/**
 * Sets up a device: scan the QR code (or type the secret), enter one code, save the ten recovery codes. Replacing a
 * device that works also asks for the password.
 */
export function OtpSetup({ replacing = false, onDone }: { replacing?: boolean; onDone: () => void }) {
  const [setup, setSetup] = useState<Setup | null>(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const secretId = useId();
  const start = useMutation({
    mutationFn: () => api<Setup>('/me/otp/setup', { method: 'POST' }),
    onSuccess: setSetup,
  });
  const confirm = useMutation({
    mutationFn: () =>
      api<{ recoveryCodes: string[] }>('/me/otp/confirm', {
        method: 'POST',
        body: { code: code.replace(/\s/g, ''), ...(replacing ? { currentPassword: password } : {}) },
      }),
    onSuccess: (data) => setCodes(data.recoveryCodes),
    onError: (error) => setErrors(error instanceof ApiError ? error.fieldMap() : {}),
  });

  if (codes) {
    return (
      <div className="form-stack">
        <Notice tone="success">Your device is set up. From now on, signing in asks for a code from it.</Notice>
        <p>
          Save these <strong>recovery codes</strong> somewhere safe: each lets you sign in once if you lose your device.
          They are shown only now.
        </p>
        <ol className="recovery-codes" data-testid="recovery-codes">
          {codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ol>
        <div className="form-actions">
          <button
            type="button"
            className="button button--ghost"
            onClick={() => navigator.clipboard?.writeText(codes.join('\n'))}
          >
            Copy the codes
          </button>
          <button type="button" className="button button--primary" onClick={onDone}>
            I have saved them
          </button>
        </div>
      </div>
    );
  }
  if (!setup) {
    return (
      <div className="form-stack">
        <p>
          You need an authenticator app on your phone, such as FreeOTP, Google Authenticator or Microsoft Authenticator.
        </p>
        {start.error ? <Notice tone="error">{start.error.message}</Notice> : null}
        <div className="form-actions">
          <button
            type="button"
            className="button button--primary"
            onClick={() => start.mutate()}
            disabled={start.isPending}
          >
            {replacing ? 'Set up a new device' : 'Set up my device'}
          </button>
        </div>
      </div>
    );
  }
  function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    confirm.mutate();
  }
  return (
    <form className="form-stack" onSubmit={submit} noValidate>
      <div className="otp-setup">
        {/* The SVG comes from our own server's QR encoder, never from user input. */}
        <div
          className="otp-setup__qr"
          role="img"
          aria-label="QR code to scan with your authenticator app"
          // biome-ignore lint/security/noDangerouslySetInnerHtml: the server renders this QR code from a URI it made.
          dangerouslySetInnerHTML={{ __html: setup.qrSvg }}
        />
        <div className="otp-setup__steps">
          <p>1. Scan the QR code with your authenticator app.</p>
          <p>
            Or type this key into it (time-based, 6 digits, 30 seconds):
            <br />
            <code id={secretId} className="secret" data-testid="otp-secret">
              {setup.secret.replace(/(.{4})/g, '$1 ').trim()}
            </code>
          </p>
          <p>2. Enter the code the app shows.</p>
        </div>
      </div>
      {confirm.error && !(confirm.error instanceof ApiError && confirm.error.fields.length) ? (
        <Notice tone="error">{confirm.error.message}</Notice>
      ) : null}
      <TextField
        label="Code from the app"
        value={code}
        onValue={setCode}
        inputMode="numeric"
        autoComplete="one-time-code"
        required
        error={errors.code}
      />
      {replacing ? (
        <TextField
          label="Current password"
          type="password"
          value={password}
          onValue={setPassword}
          autoComplete="current-password"
          required
          error={errors.currentPassword}
        />
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={confirm.isPending}>
          {confirm.isPending ? 'Checking…' : 'Confirm'}
        </button>
      </div>
    </form>
  );
}

/** The Configure OTP required action, shown alone at sign-in. */
export function ConfigureOtpPage() {
  const client = useQueryClient();
  const signOut = useSignOut();
  const session = useSession();
  return (
    <AuthCard
      title="Set up one-time codes"
      lead={`Hello ${session.user.firstName || session.user.username}, your account asks for a code from your phone at each sign-in.`}
    >
      <OtpSetup onDone={() => client.invalidateQueries({ queryKey: ['session'] })} />
      <button type="button" className="button button--ghost" onClick={() => signOut()}>
        Sign out
      </button>
    </AuthCard>
  );
}

/** Update Profile and Update User Locale: the user checks their details, or chooses their language. */
export function UpdateDetailsPage({ action }: { action: 'update_profile' | 'update_locale' }) {
  const client = useQueryClient();
  const signOut = useSignOut();
  const { user } = useSession();
  const [firstName, setFirstName] = useState(user.firstName);
  const [lastName, setLastName] = useState(user.lastName ?? '');
  const [email, setEmail] = useState(user.email ?? '');
  const [phone, setPhone] = useState(user.phone ?? '');
  const [currentPassword, setCurrentPassword] = useState('');
  const [language, setLanguage] = useState(user.language ?? '');
  const [timeZone, setTimeZone] = useState(user.timeZone ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: (body: unknown) => api<Session>('/me', { method: 'PATCH', body }),
    onSuccess: (session) => setSession(client, session),
    onError: (error) => setErrors(error instanceof ApiError ? error.fieldMap() : {}),
  });
  // Moving one's address needs the password (resets go there); single sign-on users have none.
  const emailChanged = email.trim() !== (user.email ?? '') && user.authMethod === 'password';
  function submit(event: FormEvent) {
    event.preventDefault();
    const body =
      action === 'update_profile'
        ? { firstName, lastName, email, phone, complete: action, ...(emailChanged ? { currentPassword } : {}) }
        : { language, timeZone, complete: action };
    const parsed = meUpdateSchema.safeParse(body);
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      return;
    }
    save.mutate(parsed.data);
  }
  return (
    <AuthCard
      title={action === 'update_profile' ? 'Check your details' : 'Choose your language'}
      lead={
        action === 'update_profile'
          ? 'An administrator asks you to check your name and contact details before you go on.'
          : 'An administrator asks you to choose the language and time zone Roster uses for you.'
      }
    >
      {save.error && !(save.error instanceof ApiError && save.error.fields.length) ? (
        <Notice tone="error">{save.error.message}</Notice>
      ) : null}
      <form className="form-stack" onSubmit={submit} noValidate>
        {action === 'update_profile' ? (
          <>
            <TextField label="First name" value={firstName} onValue={setFirstName} required error={errors.firstName} />
            <TextField label="Last name" value={lastName} onValue={setLastName} error={errors.lastName} />
            <TextField label="Email" type="email" value={email} onValue={setEmail} error={errors.email} />
            {emailChanged ? (
              <TextField
                label="Current password"
                type="password"
                value={currentPassword}
                onValue={setCurrentPassword}
                autoComplete="current-password"
                required
                error={errors.currentPassword}
                hint="Needed to change your email address."
              />
            ) : null}
            <TextField label="Phone" value={phone} onValue={setPhone} error={errors.phone} />
          </>
        ) : (
          <>
            <SelectField label="Language" value={language} onValue={setLanguage} options={LANGUAGE_OPTIONS} />
            <TimeZoneField value={timeZone} onValue={setTimeZone} error={errors.timeZone} />
          </>
        )}
        <button type="submit" className="button button--primary button--block" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Continue'}
        </button>
        <button type="button" className="button button--ghost" onClick={() => signOut()}>
          Sign out
        </button>
      </form>
    </AuthCard>
  );
}
