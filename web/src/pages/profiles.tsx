// Profiles (F17): named permission sets for the admin modules, each All, Not allowed or some specific items.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import {
  MODULE_ACCESS,
  MODULE_ACCESS_LABELS,
  type ModuleAccess,
  PROFILE_ITEM_LABELS,
  PROFILE_MODULE_LABELS,
  PROFILE_MODULES,
  type ProfileModule,
  profileCreateSchema,
  profileUpdateSchema,
} from '../../../shared/profile-schemas.js';
import { ApiError, api, type Profile, type ProfileList } from '../api.js';
import { DepartmentPicker } from '../components/department-picker.js';
import {
  Badge,
  Dialog,
  formatCount,
  Notice,
  ReadOnlyField,
  RowButton,
  SelectField,
  Spinner,
  TextField,
} from '../components/ui.js';
import type { Department } from '../org-api.js';
import { useSession } from '../session.js';

/** Items typed as a comma-separated list; the Users module's are picked departments instead (`picked`). */
type ModuleDraft = { access: ModuleAccess; items: string; picked: string[] };
type Draft = { name: string; description: string; modules: Record<ProfileModule, ModuleDraft> };

const ITEM_HINTS: Record<ProfileModule, string> = {
  profiles: 'Names of the profiles these admins may edit and give, separated by commas.',
  users: 'The departments whose users these admins manage.',
  campaigns: 'Campaign names, separated by commas.',
  connectors: 'Connector names, separated by commas.',
};

function draftOf(profile: Profile | null): Draft {
  const modules = Object.fromEntries(
    PROFILE_MODULES.map((module) => {
      const rule = profile?.modules[module];
      return [
        module,
        { access: rule?.access ?? 'none', items: rule?.items.join(', ') ?? '', picked: rule?.items ?? [] },
      ];
    }),
  ) as Record<ProfileModule, ModuleDraft>;
  return { name: profile?.name ?? '', description: profile?.description ?? '', modules };
}

function modulesBody(draft: Draft) {
  return Object.fromEntries(
    PROFILE_MODULES.map((module) => {
      const { access, items, picked } = draft.modules[module];
      const list =
        module === 'users'
          ? picked
          : items
              .split(',')
              .map((item) => item.trim())
              .filter(Boolean);
      return [module, access === 'some' ? { access, items: list } : { access }];
    }),
  );
}

export function ProfilesPage() {
  const client = useQueryClient();
  const session = useSession();
  const profiles = useQuery({ queryKey: ['profiles'], queryFn: () => api<ProfileList>('/profiles') });
  const [editing, setEditing] = useState<Profile | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Profile | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: (profile: Profile) => api<void>(`/profiles/${profile.id}`, { method: 'DELETE' }),
    onSuccess: (_data, profile) => {
      setDeleting(null);
      setNotice(`Profile “${profile.name}” deleted.`);
      client.invalidateQueries({ queryKey: ['profiles'] });
    },
  });
  const items = profiles.data?.items ?? [];

  return (
    <div className="page">
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">Profiles</h1>
          {profiles.data ? <span className="count-badge">{formatCount(items.length)}</span> : null}
        </div>
        <div className="page__actions">
          {profiles.data?.can.create ? (
            <button type="button" className="button button--primary" onClick={() => setEditing('new')}>
              Create profile
            </button>
          ) : null}
        </div>
      </div>
      <p className="page__lead muted">
        A profile says what the admins who have it may do in each module: everything, nothing, or only some items (for
        Users: the users of some departments). An admin without a profile is limited by their access type only; the
        account owner is never limited.
      </p>
      {notice ? (
        <Notice tone="success" onDismiss={() => setNotice(null)}>
          {notice}
        </Notice>
      ) : null}
      {profiles.error ? <Notice tone="error">{profiles.error.message}</Notice> : null}
      {profiles.isPending ? <Spinner label="Loading profiles" /> : null}
      {profiles.data ? (
        <section className="card table-card" aria-label="Profiles">
          <div className="table-scroll">
            <table className="table table--profiles">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  {PROFILE_MODULES.map((module) => (
                    <th scope="col" key={module}>
                      {PROFILE_MODULE_LABELS[module]}
                    </th>
                  ))}
                  <th scope="col">Assigned to</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.length === 0 ? (
                  <tr>
                    <td colSpan={PROFILE_MODULES.length + 3} className="table-empty">
                      <p className="table-empty__title">No profiles yet</p>
                      <p className="muted">Admins without a profile may manage everything their access type allows.</p>
                    </td>
                  </tr>
                ) : (
                  items.map((profile) => (
                    <tr key={profile.id} data-profile={profile.name}>
                      <td>
                        <div className="profile-name">{profile.name}</div>
                        {profile.description ? <div className="muted small">{profile.description}</div> : null}
                        {session.user.profileId === profile.id ? <Badge tone="accent">Yours</Badge> : null}
                      </td>
                      {PROFILE_MODULES.map((module) => (
                        <td
                          key={module}
                          className="nowrap"
                          title={profile.modules[module].items.join(', ') || undefined}
                        >
                          <ModuleSummary access={profile.modules[module].access} text={profile.summary[module]} />
                        </td>
                      ))}
                      <td className="nowrap">{formatCount(profile.users)}</td>
                      <td className="nowrap table-actions">
                        {profile.can.update ? (
                          <RowButton label="Edit" name={profile.name} onClick={() => setEditing(profile)} />
                        ) : null}
                        {profile.can.delete ? (
                          <RowButton
                            label="Delete"
                            name={profile.name}
                            variant="danger-outline"
                            onClick={() => {
                              remove.reset();
                              setDeleting(profile);
                            }}
                          />
                        ) : null}
                      </td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}

      {editing ? (
        <ProfileDialog
          profile={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(saved, created) => {
            setEditing(null);
            setNotice(`Profile “${saved.name}” ${created ? 'created' : 'saved'}.`);
          }}
        />
      ) : null}

      <Dialog
        open={deleting !== null}
        title={`Delete the profile ${deleting?.name ?? ''}?`}
        onClose={() => setDeleting(null)}
        footer={
          <>
            <button type="button" className="button button--secondary" onClick={() => setDeleting(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="button button--danger"
              disabled={remove.isPending}
              onClick={() => deleting && remove.mutate(deleting)}
            >
              Delete
            </button>
          </>
        }
      >
        <p>
          {deleting && deleting.users > 0
            ? `${formatCount(deleting.users)} ${deleting.users === 1 ? 'user has' : 'users have'} this profile: give them another one first.`
            : 'Nobody has this profile. It will be deleted for good.'}
        </p>
        {remove.error ? <Notice tone="error">{remove.error.message}</Notice> : null}
      </Dialog>
    </div>
  );
}

function ModuleSummary({ access, text }: { access: ModuleAccess; text: string }) {
  if (access === 'all') return <Badge tone="green">{text}</Badge>;
  if (access === 'none') return <span className="muted">{text}</span>;
  return <Badge tone="amber">{text}</Badge>;
}

function ProfileDialog({
  profile,
  onClose,
  onSaved,
}: {
  profile: Profile | null;
  onClose: () => void;
  onSaved: (profile: Profile, created: boolean) => void;
}) {
  const client = useQueryClient();
  const departments = useQuery({
    queryKey: ['departments'],
    queryFn: () => api<{ items: Department[] }>('/departments'),
    retry: false,
  });
  const [draft, setDraft] = useState<Draft>(() => draftOf(profile));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: (body: unknown) =>
      profile
        ? api<Profile>(`/profiles/${profile.id}`, { method: 'PATCH', body })
        : api<Profile>('/profiles', { method: 'POST', body }),
    onSuccess: (saved) => {
      client.invalidateQueries({ queryKey: ['profiles'] });
      onSaved(saved, profile === null);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.fields.length > 0) setErrors(fieldErrors(error.fields));
      else setErrors({ _form: error.message });
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = profile
      ? { description: draft.description, modules: modulesBody(draft) }
      : { name: draft.name, description: draft.description, modules: modulesBody(draft) };
    const parsed = (profile ? profileUpdateSchema : profileCreateSchema).safeParse(body);
    if (!parsed.success) {
      setErrors(fieldErrors(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))));
      return;
    }
    setErrors({});
    save.mutate(parsed.data);
  }

  const setModule = (module: ProfileModule, change: Partial<ModuleDraft>) =>
    setDraft((current) => ({
      ...current,
      modules: { ...current.modules, [module]: { ...current.modules[module], ...change } },
    }));

  return (
    <Dialog
      open
      title={profile ? `Edit profile ${profile.name}` : 'Create profile'}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button button--ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="profile-form" className="button button--primary" disabled={save.isPending}>
            {profile ? 'Save' : 'Create'}
          </button>
        </>
      }
    >
      <form id="profile-form" className="form-stack" onSubmit={submit} noValidate>
        {errors._form ? <Notice tone="error">{errors._form}</Notice> : null}
        {profile ? (
          <ReadOnlyField label="Name" hint="A profile's name cannot change.">
            <strong>{profile.name}</strong>
          </ReadOnlyField>
        ) : (
          <TextField
            label="Name"
            value={draft.name}
            onValue={(name) => setDraft((current) => ({ ...current, name }))}
            error={errors.name}
            hint="Cannot be changed later."
            required
            autoFocus
          />
        )}
        <TextField
          label="Description"
          value={draft.description}
          onValue={(description) => setDraft((current) => ({ ...current, description }))}
          error={errors.description}
        />
        {PROFILE_MODULES.map((module) => (
          <fieldset className="module-rule" key={module}>
            <legend className="module-rule__legend">{PROFILE_MODULE_LABELS[module]}</legend>
            <SelectField
              label={`${PROFILE_MODULE_LABELS[module]} access`}
              value={draft.modules[module].access}
              onValue={(access) => setModule(module, { access: access as ModuleAccess })}
              options={MODULE_ACCESS.map((access) => ({ value: access, label: MODULE_ACCESS_LABELS[access] }))}
            />
            {draft.modules[module].access === 'some' && module === 'users' ? (
              <DepartmentPicker
                label={PROFILE_ITEM_LABELS[module]}
                departments={(departments.data?.items ?? []).map((department) => department.name)}
                loading={departments.isPending}
                value={draft.modules[module].picked}
                onChange={(picked) => setModule(module, { picked })}
                error={errors[`modules.${module}`]}
                hint={ITEM_HINTS[module]}
              />
            ) : draft.modules[module].access === 'some' ? (
              <TextField
                label={PROFILE_ITEM_LABELS[module]}
                value={draft.modules[module].items}
                onValue={(items) => setModule(module, { items })}
                error={errors[`modules.${module}`]}
                hint={ITEM_HINTS[module]}
              />
            ) : null}
          </fieldset>
        ))}
      </form>
    </Dialog>
  );
}

/** Field errors keyed "name", "description" or "modules.<module>". */
function fieldErrors(fields: { path: string; message: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { path, message } of fields) {
    const parts = path.split('.');
    const key = parts[0] === 'modules' && parts[1] ? `modules.${parts[1]}` : (parts[0] ?? '_form');
    out[key] ??= message;
  }
  return out;
}
