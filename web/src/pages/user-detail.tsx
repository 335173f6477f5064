// One user (F5): edit every field but the username, see read-only facts, delete with a confirmation.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { USER_STATUS_LABELS } from '../../../shared/constants.js';
import { userUpdateSchema } from '../../../shared/schemas.js';
import {
  ApiError,
  api,
  type BulkReport,
  type ProfileList,
  type User,
  type UserFacets,
  type Versioned,
} from '../api.js';
import {
  Avatar,
  Badge,
  Dialog,
  formatDateTime,
  Notice,
  ReadOnlyField,
  SelectField,
  Spinner,
  StatusBadge,
  Switch,
} from '../components/ui.js';
import { UserField, type UserFieldName } from '../components/user-fields.js';
import { UserMailActions } from '../components/user-mail-actions.js';
import { UserPasswordSection } from '../components/user-password.js';
import { UserSecurity } from '../components/user-security.js';
import { FIELD_LABELS, issuesByField, toUpdateBody, type UserFormValues, userToForm } from '../forms.js';
import { useSession } from '../session.js';
import { ChatSettingsTab, LicensesTab, RoleMappingsTab, USER_TABS, type UserTab, UserTabs } from './user-access.js';
import { LinkedIdentities } from './user-identities.js';
import { CanManageTab, MoveUserDialog, TeamsTab } from './user-teams.js';
import { VisibleGroupsField } from './visible-groups.js';

const SECTIONS: { title: string; fields: UserFieldName[] }[] = [
  { title: 'Identity', fields: ['firstName', 'lastName', 'email', 'emailVerified', 'nicknames'] },
  { title: 'Contact', fields: ['phone', 'department'] },
  { title: 'Access', fields: ['accessType', 'authMethod', 'enabled', 'validFrom', 'expiresAt'] },
  { title: 'Preferences', fields: ['timeZone', 'language'] },
  { title: 'Call tracking', fields: ['agentId', 'ringTo', 'scoringEnabled', 'roamingAgent'] },
  { title: 'Permissions', fields: ['reportingAccess', 'audioAccess', 'scoringAccess'] },
];

const fetchUser = (id: string | number) => api<Versioned<User>>(`/users/${encodeURIComponent(String(id))}`);

const CHANGED_MEANWHILE = 'Someone else changed this user while you were editing. Reload to see their changes.';

export function UserPage() {
  const { id = '' } = useParams();
  const location = useLocation();
  const user = useQuery({ queryKey: ['user', id], queryFn: () => fetchUser(id) });
  const initialNotice = (location.state as { notice?: string } | null)?.notice ?? null;

  if (user.isPending) {
    return (
      <div className="page">
        <Spinner label="Loading user" />
      </div>
    );
  }
  if (user.error) {
    return (
      <div className="page page--narrow">
        <nav className="breadcrumbs" aria-label="Breadcrumb">
          <Link to="/users">Users</Link>
        </nav>
        <h1 className="page__title">User not available</h1>
        <Notice tone="error">
          {user.error instanceof ApiError && user.error.status === 404
            ? 'This user does not exist or was deleted.'
            : user.error.message}
        </Notice>
      </div>
    );
  }
  return <UserEditor key={user.data.id} user={user.data} initialNotice={initialNotice} />;
}

function UserEditor({ user, initialNotice }: { user: Versioned<User>; initialNotice: string | null }) {
  const client = useQueryClient();
  const session = useSession();
  const navigate = useNavigate();
  const facets = useQuery({ queryKey: ['users', 'facets'], queryFn: () => api<UserFacets>('/users/facets') });
  const [original, setOriginal] = useState(() => userToForm(user));
  const [values, setValues] = useState<UserFormValues>(original);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<{
    tone: 'success' | 'error' | 'info';
    text: string;
    reload?: boolean;
  } | null>(initialNotice ? { tone: 'success', text: initialNotice } : null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [moving, setMoving] = useState(false);
  const [justSaved, setJustSaved] = useState(false);
  const readOnly = !user.can.update;
  const [params, setParams] = useSearchParams();
  const tab = (USER_TABS.find((t) => t.id === params.get('tab'))?.id ?? 'details') as UserTab;
  const selectTab = (next: UserTab) => setParams(next === 'details' ? {} : { tab: next }, { replace: true });

  // Drop the one-time "created" notice from history so a reload does not show it again.
  useEffect(() => {
    if (initialNotice) window.history.replaceState({ ...window.history.state, usr: null }, '');
  }, [initialNotice]);

  // The version the form was loaded (or last saved, reloaded) at: an edit made meanwhile by someone else is refused.
  const save = useMutation({
    mutationFn: (body: unknown) =>
      api<Versioned<User>>(`/users/${user.id}`, {
        method: 'PATCH',
        body,
        headers: user.etag ? { 'If-Match': user.etag } : undefined,
      }),
    onSuccess: (saved) => {
      client.setQueryData(['user', String(saved.id)], saved);
      client.invalidateQueries({ queryKey: ['users'] });
      const form = userToForm(saved);
      setOriginal(form);
      setValues(form);
      setErrors({});
      setNotice(null);
      setJustSaved(true);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 412) {
        setNotice({ tone: 'error', text: CHANGED_MEANWHILE, reload: true });
      } else if (error instanceof ApiError && error.fields.length > 0) {
        setErrors(error.fieldMap());
        setNotice({ tone: 'error', text: 'Some fields need your attention.' });
      } else {
        setNotice({ tone: 'error', text: error.message });
      }
    },
  });

  const unlock = useMutation({
    mutationFn: () => api<User>(`/users/${user.id}/unlock`, { method: 'POST' }),
    onSuccess: (saved) => {
      client.setQueryData(['user', String(saved.id)], saved);
      client.invalidateQueries({ queryKey: ['users'] });
      setNotice({ tone: 'success', text: `${saved.displayName} is unlocked and can sign in again.` });
    },
    onError: (error) => setNotice({ tone: 'error', text: error.message }),
  });

  const remove = useMutation({
    mutationFn: () => api<void>(`/users/${user.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      client.removeQueries({ queryKey: ['user', String(user.id)] });
      client.invalidateQueries({ queryKey: ['users'] });
      navigate('/users');
    },
  });

  // Their changes come in; what the admin changed in the form stays as typed, to review and save again.
  const reload = useMutation({
    mutationFn: () => fetchUser(user.id),
    onSuccess: (fresh) => {
      client.setQueryData(['user', String(fresh.id)], fresh);
      const theirs = userToForm(fresh);
      const mine = Object.fromEntries(
        Object.entries(values).filter(
          ([key, value]) => JSON.stringify(value) !== JSON.stringify(original[key as keyof UserFormValues]),
        ),
      );
      setOriginal(theirs);
      setValues({ ...theirs, ...mine });
      setNotice({
        tone: 'info',
        text:
          Object.keys(mine).length > 0
            ? 'Reloaded with their changes. Your edits are kept: check them and save again.'
            : 'Reloaded with their changes.',
      });
    },
    onError: (error) => setNotice({ tone: 'error', text: error.message, reload: true }),
  });

  function onChange<K extends UserFieldName>(name: K, value: UserFormValues[K]) {
    setJustSaved(false);
    setValues((current) => ({ ...current, [name]: value }));
    if (errors[name]) setErrors(({ [name]: _dropped, ...rest }) => rest);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = toUpdateBody(values, original, user.accessType !== 'scorer');
    if (Object.keys(body).length === 0) {
      setNotice({ tone: 'info', text: 'There are no changes to save.' });
      return;
    }
    const parsed = userUpdateSchema.safeParse(body);
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      setNotice({ tone: 'error', text: 'Some fields need your attention.' });
      return;
    }
    setNotice(null);
    save.mutate(body);
  }

  const dirty = Object.keys(toUpdateBody(values, original, user.accessType !== 'scorer')).length > 0;
  const name = user.displayName || user.username;
  const errorList = Object.keys(errors).filter((key) => key in FIELD_LABELS);

  return (
    <div className="page page--narrow">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link to="/users">Users</Link>
        <span aria-hidden="true">/</span>
        <span>{name}</span>
      </nav>
      <div className="page__header">
        <div className="user-heading">
          <Avatar user={user} size="lg" />
          <div>
            <h1 className="page__title">{name}</h1>
            <div className="user-heading__meta">
              <span>{user.username}</span>
              <StatusBadge status={user.status} />
              {user.enabled ? null : <Badge tone="red">Disabled</Badge>}
              {user.locked ? <Badge tone="amber">Locked</Badge> : null}
              {user.isOwner ? <Badge tone="accent">Owner</Badge> : null}
            </div>
          </div>
        </div>
        <div className="page__actions">
          {user.locked && user.can.unlock ? (
            <button
              type="button"
              className="button button--secondary"
              disabled={unlock.isPending}
              onClick={() => unlock.mutate()}
            >
              Unlock
            </button>
          ) : null}
          {user.can.update ? (
            <button type="button" className="button button--secondary" onClick={() => setMoving(true)}>
              Move to group
            </button>
          ) : null}
          {user.can.delete ? (
            <button type="button" className="button button--danger-outline" onClick={() => setConfirmDelete(true)}>
              Delete
            </button>
          ) : null}
        </div>
      </div>

      {notice ? (
        <Notice tone={notice.tone} onDismiss={() => setNotice(null)}>
          {notice.text}
          {notice.reload ? (
            <>
              {' '}
              <button
                type="button"
                className="button button--secondary button--small"
                disabled={reload.isPending}
                onClick={() => reload.mutate()}
              >
                {reload.isPending ? 'Reloading…' : 'Reload'}
              </button>
            </>
          ) : null}
          {notice.tone === 'error' && errorList.length > 0 ? (
            <ul className="error-summary">
              {errorList.map((key) => (
                <li key={key}>
                  {FIELD_LABELS[key]}: {errors[key]}
                </li>
              ))}
            </ul>
          ) : null}
        </Notice>
      ) : null}

      <UserTabs active={tab} onSelect={selectTab} />

      {tab === 'roles' ? <RoleMappingsTab userId={user.id} /> : null}
      {tab === 'licenses' ? <LicensesTab userId={user.id} /> : null}
      {tab === 'chat' ? <ChatSettingsTab userId={user.id} /> : null}
      {tab === 'teams' ? (
        <TeamsTab
          userId={user.id}
          userName={name}
          followsDirectory={user.directory && user.syncEnabled ? user.directory.name : null}
        />
      ) : null}
      {tab === 'manage' ? <CanManageTab userId={user.id} /> : null}

      <form className="stack" onSubmit={submit} noValidate hidden={tab !== 'details'}>
        <section className="card card--padded" aria-labelledby="section-account">
          <h2 className="card__title" id="section-account">
            Account
          </h2>
          <div className="form-grid">
            <ReadOnlyField label="Username" hint="Usernames cannot be changed.">
              <code>{user.username}</code>
            </ReadOnlyField>
            <ReadOnlyField label="Source">
              {user.directory && user.can.update ? (
                <div className="source-field">
                  <span>{user.source}</span>
                  <SyncSwitch user={user} />
                </div>
              ) : (
                <>
                  {user.source === 'local' ? 'Local' : user.source}
                  {user.source !== 'local' ? (
                    <span className="muted">&nbsp;· synchronization {user.syncEnabled ? 'on' : 'off'}</span>
                  ) : null}
                </>
              )}
            </ReadOnlyField>
            <ProvisionedFields user={user} />
            <ReadOnlyField label="Status" hint="A user becomes Active at the first sign-in.">
              {USER_STATUS_LABELS[user.status]}
              <UserMailActions user={user} />
            </ReadOnlyField>
            <ReadOnlyField label="Created">{formatDateTime(user.createdAt)}</ReadOnlyField>
            <ReadOnlyField label="Last sign-in">
              {user.lastSignInAt ? formatDateTime(user.lastSignInAt) : 'Never'}
            </ReadOnlyField>
            <ReadOnlyField label="Licenses">
              {user.licenses.length > 0 ? user.licenses.map((license) => license.name).join(', ') : '—'}
            </ReadOnlyField>
          </div>
        </section>

        {user.locked ? (
          <Notice tone="info">
            Locked after too many failed sign-ins
            {user.lockedUntil && !user.lockedUntil.startsWith('9999')
              ? ` until ${formatDateTime(user.lockedUntil)}`
              : ''}
            : password sign-in is refused until then or until an admin unlocks the user.
          </Notice>
        ) : null}

        <LinkedIdentities userId={user.id} userName={name} />

        <UserSecurity user={user} />

        {session.abilities.readProfiles ? (
          <ProfilePicker
            user={user}
            canCreate={session.abilities.createProfiles}
            onSaved={(text) => setNotice({ tone: 'success', text })}
          />
        ) : null}

        {SECTIONS.map((section) => (
          <section className="card card--padded" key={section.title} aria-labelledby={`section-${section.title}`}>
            <h2 className="card__title" id={`section-${section.title}`}>
              {section.title}
            </h2>
            <div className="form-grid">
              {section.fields.map((field) => (
                <UserField
                  key={field}
                  name={field}
                  values={values}
                  onChange={onChange}
                  errors={errors}
                  departments={facets.data?.departments}
                  disabled={readOnly}
                />
              ))}
            </div>
            {section.title === 'Permissions' ? (
              <VisibleGroupsField
                value={values.visibleGroupIds}
                onChange={(ids) => onChange('visibleGroupIds', ids)}
                error={errors.visibleGroupIds}
                disabled={readOnly}
              />
            ) : null}
          </section>
        ))}

        {readOnly ? null : (
          <div className="sticky-actions">
            {notice?.reload ? (
              // Said where the admin is looking (the bar they pressed Save in), not only at the top of the page.
              <span className="save-state save-state--conflict">Not saved: someone else changed this user.</span>
            ) : (
              <span className={`save-state${justSaved && !dirty ? ' save-state--saved' : ''}`} role="status">
                {dirty ? 'You have unsaved changes.' : justSaved ? '✓ Changes saved.' : 'No unsaved changes.'}
              </span>
            )}
            <div className="form-actions">
              {notice?.reload ? (
                <button
                  type="button"
                  className="button button--secondary"
                  disabled={reload.isPending}
                  onClick={() => reload.mutate()}
                >
                  {reload.isPending ? 'Reloading…' : 'Reload their changes'}
                </button>
              ) : null}
              <button
                type="button"
                className="button button--ghost"
                disabled={!dirty}
                onClick={() => {
                  setValues(original);
                  setErrors({});
                }}
              >
                Discard
              </button>
              <button type="submit" className="button button--primary" disabled={save.isPending}>
                {save.isPending ? 'Saving…' : 'Save changes'}
              </button>
            </div>
          </div>
        )}
      </form>

      {tab === 'details' && user.can.update && user.authMethod === 'password' && user.id !== session.user.id ? (
        <UserPasswordSection user={user} />
      ) : null}

      <MoveUserDialog
        userId={user.id}
        userName={name}
        open={moving}
        onClose={() => setMoving(false)}
        onMoved={(text) => {
          setMoving(false);
          setNotice({ tone: 'success', text });
        }}
      />

      <Dialog
        open={confirmDelete}
        title={`Delete ${name}?`}
        onClose={() => setConfirmDelete(false)}
        footer={
          <>
            <button type="button" className="button button--secondary" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
            <button
              type="button"
              className="button button--danger"
              disabled={remove.isPending}
              onClick={() => remove.mutate()}
            >
              {remove.isPending ? 'Deleting…' : 'Delete'}
            </button>
          </>
        }
      >
        <p>
          Delete <strong>{name}</strong> ({user.username})? They will no longer be able to sign in, and this cannot be
          undone.
        </p>
        {remove.error ? <Notice tone="error">{remove.error.message}</Notice> : null}
      </Dialog>
    </div>
  );
}

/**
 * The user's profile: what it lets them do in the admin modules. The server decides who may give or take which
 * profile; the list offers the profiles the caller may give.
 */
function ProfilePicker({
  user,
  canCreate,
  onSaved,
}: {
  user: User;
  canCreate: boolean;
  onSaved: (text: string) => void;
}) {
  const client = useQueryClient();
  const profiles = useQuery({ queryKey: ['profiles'], queryFn: () => api<ProfileList>('/profiles') });
  const [choice, setChoice] = useState(user.profileId === null ? '' : String(user.profileId));
  const [error, setError] = useState<string | undefined>();
  const save = useMutation({
    mutationFn: (profileId: number | null) => api<User>(`/users/${user.id}`, { method: 'PATCH', body: { profileId } }),
    onSuccess: (saved) => {
      client.setQueryData(['user', String(saved.id)], saved);
      client.invalidateQueries({ queryKey: ['profiles'] });
      setError(undefined);
      const name = profiles.data?.items.find((p) => p.id === saved.profileId)?.name;
      onSaved(name ? `Profile set to ${name}.` : 'Profile removed.');
    },
    onError: (e) => setError(e instanceof ApiError ? (e.fieldMap().profileId ?? e.message) : e.message),
  });
  const items = profiles.data?.items ?? [];
  const current = items.find((p) => p.id === user.profileId);
  const options = [
    { value: '', label: 'No profile (limited by the access type only)' },
    ...items
      .filter((p) => p.can.assign || p.id === user.profileId)
      .map((p) => ({ value: String(p.id), label: p.name })),
  ];
  const changed = choice !== (user.profileId === null ? '' : String(user.profileId));
  const editable = user.can.update && (current ? current.can.assign : true) && items.some((p) => p.can.assign);
  return (
    <section className="card card--padded" aria-labelledby="section-profile">
      <h2 className="card__title" id="section-profile">
        Profile
      </h2>
      <div className="profile-picker">
        <SelectField
          label="Profile"
          value={choice}
          onValue={(value) => {
            setChoice(value);
            setError(undefined);
          }}
          options={options}
          disabled={!editable || profiles.isPending}
          error={error}
          hint={
            user.isOwner
              ? 'The owner is never limited by a profile.'
              : current
                ? `Users: ${current.summary.users} · Profiles: ${current.summary.profiles} · Campaigns: ${current.summary.campaigns} · Connectors: ${current.summary.connectors}`
                : 'What the user may do in the admin modules, when they are an admin.'
          }
        />
        {editable ? (
          <button
            type="button"
            className="button button--secondary profile-picker__button"
            disabled={!changed || save.isPending || (choice === '' && !canCreate)}
            title={
              choice === '' && !canCreate ? 'Only admins with the whole Profiles module remove profiles' : undefined
            }
            onClick={() => save.mutate(choice === '' ? null : Number(choice))}
          >
            {save.isPending ? 'Saving…' : 'Change profile'}
          </button>
        ) : null}
      </div>
    </section>
  );
}

/** What an identity provider keeps on the user (SCIM): shown when it is set, changed by the provider. */
function ProvisionedFields({ user }: { user: User }) {
  const manager = useQuery({
    queryKey: ['user', String(user.managerId)],
    queryFn: () => fetchUser(user.managerId as number),
    enabled: user.managerId !== null,
  });
  const managerName = manager.data ? manager.data.displayName : `User ${user.managerId}`;
  return (
    <>
      {user.externalId ? (
        <ReadOnlyField label="External ID" hint="The identity provider's own id for this user.">
          <code>{user.externalId}</code>
        </ReadOnlyField>
      ) : null}
      {user.title ? <ReadOnlyField label="Title">{user.title}</ReadOnlyField> : null}
      {user.employeeNumber ? <ReadOnlyField label="Employee number">{user.employeeNumber}</ReadOnlyField> : null}
      {user.managerId !== null ? (
        <ReadOnlyField label="Manager">
          <Link to={`/users/${user.managerId}`}>{managerName}</Link>
        </ReadOnlyField>
      ) : null}
    </>
  );
}

/**
 * The user's synchronization switch: on, a sync of their directory keeps their fields and group memberships as the
 * directory has them; off, the user is Roster's and syncs leave them alone. It is the bulk action on one user.
 */
function SyncSwitch({ user }: { user: User }) {
  const client = useQueryClient();
  const toggle = useMutation({
    mutationFn: async (on: boolean) => {
      const report = await api<BulkReport>('/users/bulk', {
        method: 'POST',
        body: { action: on ? 'enable_sync' : 'disable_sync', selection: { ids: [user.id] } },
      });
      const refused = report.groups.find((group) => group.outcome === 'failed');
      if (report.error || refused) throw new Error(report.error ?? refused?.reason ?? 'The switch was not changed.');
      return report;
    },
    onSuccess: () => {
      client.invalidateQueries({ queryKey: ['user', String(user.id)] });
      client.invalidateQueries({ queryKey: ['users'] });
    },
  });
  return (
    <div>
      <Switch
        label="Synchronization"
        checked={user.syncEnabled}
        disabled={toggle.isPending}
        onChange={(on) => toggle.mutate(on)}
        hint={
          user.syncEnabled
            ? `Syncs of ${user.directory?.name} keep this user's fields and teams as the directory has them.`
            : `Syncs of ${user.directory?.name} leave this user alone: changes made here stay.`
        }
      />
      {toggle.error ? <p className="field__error">{toggle.error.message}</p> : null}
    </div>
  );
}
