// Applications & roles (F19): each application's built-in roles and composites, the access-type mapping, and the
// account's own roles and composite roles.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { APPS, type AppKey } from '../../../shared/access.js';
import { roleCreateSchema } from '../../../shared/access-schemas.js';
import { ACCESS_TYPE_LABELS, type AccessType } from '../../../shared/constants.js';
import type { Application, Role } from '../access-api.js';
import { ApiError, api } from '../api.js';
import {
  Badge,
  Checkbox,
  Dialog,
  DialogButtons,
  Notice,
  RowButton,
  SelectField,
  Spinner,
  TextField,
} from '../components/ui.js';
import { issuesByField } from '../forms.js';

export function ApplicationsPage() {
  const apps = useQuery({ queryKey: ['applications'], queryFn: () => api<{ items: Application[] }>('/applications') });
  const [selected, setSelected] = useState<AppKey>('quality_management');
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Role | null>(null);
  const app = apps.data?.items.find((a) => a.key === selected);

  return (
    <div className="page">
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">Applications &amp; roles</h1>
        </div>
        <div className="page__actions">
          <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
            New role
          </button>
        </div>
      </div>
      <p className="page__lead muted">
        Each application's roles and composite roles. Built-in roles are the application's own; add your own roles and
        composites beside them.
      </p>
      <div className="tabs" role="tablist" aria-label="Applications">
        {(apps.data?.items ?? []).map((a) => (
          <button
            key={a.key}
            type="button"
            role="tab"
            aria-selected={a.key === selected}
            className={`tabs__tab${a.key === selected ? ' tabs__tab--active' : ''}`}
            onClick={() => setSelected(a.key)}
          >
            {a.name}
          </button>
        ))}
      </div>
      {apps.isPending ? <Spinner label="Loading applications" /> : null}
      {apps.error ? <Notice tone="error">{apps.error.message}</Notice> : null}
      {app ? (
        <>
          {app.accessTypeRoles.length > 0 ? (
            <p className="mapping" data-testid="access-type-mapping">
              <span className="muted">Access types map to:</span>{' '}
              {app.accessTypeRoles.map((m) => (
                <span key={m.accessType} className="mapping__item">
                  {m.accessType === 'owner'
                    ? 'Owner'
                    : (ACCESS_TYPE_LABELS[m.accessType as AccessType] ?? m.accessType)}{' '}
                  → <strong>{m.role}</strong>
                </span>
              ))}
            </p>
          ) : (
            <p className="mapping muted">Access types map to no role here: give roles through role mappings.</p>
          )}
          <section className="card table-card" aria-label={`${app.name} roles`}>
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Role</th>
                    <th scope="col">Description</th>
                    <th scope="col">Expands to</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {app.roles.map((role) => (
                    <tr key={role.id}>
                      <td className="nowrap">
                        <span className="role-name">{role.name}</span>{' '}
                        {role.composite ? <Badge tone="accent">Composite</Badge> : null}{' '}
                        {role.builtIn ? <Badge>Built-in</Badge> : <Badge tone="green">Custom</Badge>}
                      </td>
                      <td className="muted">{role.description || '—'}</td>
                      <td>
                        {role.effective.length > 0 ? (
                          <span className="chips">
                            {role.effective.map((name) => (
                              <span key={name} className="role-chip">
                                {name}
                              </span>
                            ))}
                          </span>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                      <td className="nowrap">
                        {role.can.update ? (
                          <RowButton label="Edit" name={role.name} variant="ghost" onClick={() => setEditing(role)} />
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </>
      ) : null}
      {creating && apps.data ? (
        <RoleDialog
          apps={apps.data.items}
          app={selected}
          onClose={() => setCreating(false)}
          onSaved={(r) => setSelected(r.application)}
        />
      ) : null}
      {editing && apps.data ? (
        <RoleDialog apps={apps.data.items} app={editing.application} role={editing} onClose={() => setEditing(null)} />
      ) : null}
    </div>
  );
}

function RoleDialog({
  apps,
  app: initialApp,
  role,
  onClose,
  onSaved,
}: {
  apps: Application[];
  app: AppKey;
  role?: Role;
  onClose: () => void;
  onSaved?: (role: Role) => void;
}) {
  const client = useQueryClient();
  const [app, setApp] = useState<AppKey>(initialApp);
  const [name, setName] = useState(role?.name ?? '');
  const [description, setDescription] = useState(role?.description ?? '');
  const [composite, setComposite] = useState(role?.composite ?? true);
  const [children, setChildren] = useState<number[]>(role?.children.map((c) => c.id) ?? []);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const candidates = (apps.find((a) => a.key === app)?.roles ?? []).filter(
    (r) => r.id !== role?.id && r.name !== 'OWNER',
  );
  const done = (saved: Role) => {
    client.invalidateQueries({ queryKey: ['applications'] });
    onSaved?.(saved);
    onClose();
  };
  const fail = (error: Error) => {
    if (error instanceof ApiError && error.fields.length > 0) {
      setErrors(error.fieldMap());
      setMessage(null);
    } else setMessage(error.message);
  };
  const save = useMutation({
    mutationFn: (body: unknown) =>
      role ? api<Role>(`/roles/${role.id}`, { method: 'PATCH', body }) : api<Role>('/roles', { method: 'POST', body }),
    onSuccess: done,
    onError: fail,
  });
  const remove = useMutation({
    mutationFn: () => api(`/roles/${role?.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      client.invalidateQueries({ queryKey: ['applications'] });
      onClose();
    },
    onError: fail,
  });
  function submit(event?: FormEvent) {
    event?.preventDefault();
    setMessage(null);
    if (role) {
      save.mutate({ description, ...(role.composite ? { children } : {}) });
      return;
    }
    const body = { application: app, name, description, composite, children: composite ? children : [] };
    const parsed = roleCreateSchema.safeParse(body);
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      return;
    }
    setErrors({});
    save.mutate(body);
  }
  return (
    <Dialog
      open
      title={role ? `Edit ${role.name}` : 'New role'}
      onClose={onClose}
      footer={
        <>
          {role?.can.delete ? (
            <button
              type="button"
              className="button button--danger-outline dialog__left"
              onClick={() => remove.mutate()}
            >
              Delete role
            </button>
          ) : null}
          <DialogButtons
            onCancel={onClose}
            disabled={save.isPending}
            label={save.isPending ? 'Saving…' : role ? 'Save role' : 'Create role'}
            onAction={() => submit()}
          />
        </>
      }
    >
      <form className="form-stack" onSubmit={submit} noValidate>
        {message ? <Notice tone="error">{message}</Notice> : null}
        {role ? null : (
          <>
            <SelectField
              label="Application"
              value={app}
              onValue={(value) => {
                setApp(value as AppKey);
                setChildren([]);
              }}
              options={Object.entries(APPS).map(([key, info]) => ({ value: key, label: info.name }))}
              error={errors.application}
            />
            <TextField
              label="Name"
              value={name}
              onValue={setName}
              error={errors.name}
              required
              hint="Upper-case letters, digits and _, e.g. COACH_CALLS."
            />
            <Checkbox label="Composite role (contains other roles)" checked={composite} onChange={setComposite} />
          </>
        )}
        <TextField label="Description" value={description} onValue={setDescription} error={errors.description} />
        {composite && (!role || role.composite) ? (
          <fieldset className={`role-picker${errors.children ? ' role-picker--invalid' : ''}`}>
            <legend className="field__label">Contains</legend>
            <div className="role-picker__list">
              {candidates.map((r) => (
                <Checkbox
                  key={r.id}
                  label={r.composite ? `${r.name} (composite)` : r.name}
                  checked={children.includes(r.id)}
                  onChange={(on) => setChildren((list) => (on ? [...list, r.id] : list.filter((id) => id !== r.id)))}
                />
              ))}
            </div>
            {errors.children ? <p className="field__error">{errors.children}</p> : null}
          </fieldset>
        ) : null}
      </form>
    </Dialog>
  );
}
