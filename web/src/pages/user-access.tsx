// A user's access tabs: role mappings (assigned, from the access type, effective), licenses, chat settings.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { APPS, type AppKey, CHAT_STATUS_LABELS, CHAT_STATUSES, type ChatStatus } from '../../../shared/access.js';
import { chatSettingsSchema } from '../../../shared/access-schemas.js';
import { ACCESS_TYPE_LABELS, type AccessType } from '../../../shared/constants.js';
import type { Application, AppSettings, UserLicenses, UserRoles } from '../access-api.js';
import { ApiError, api } from '../api.js';
import { Badge, formatCount, formatDate, Notice, SelectField, Spinner, Switch, TextField } from '../components/ui.js';
import { issuesByField } from '../forms.js';

export const USER_TABS = [
  { id: 'details', label: 'Details' },
  { id: 'teams', label: 'Teams' },
  { id: 'manage', label: 'Can manage' },
  { id: 'roles', label: 'Role mappings' },
  { id: 'licenses', label: 'Licenses' },
  { id: 'chat', label: 'Chat settings' },
] as const;
export type UserTab = (typeof USER_TABS)[number]['id'];

export function UserTabs({ active, onSelect }: { active: UserTab; onSelect: (tab: UserTab) => void }) {
  return (
    <div className="tabs" role="tablist" aria-label="User sections">
      {USER_TABS.map((tab) => (
        <button
          key={tab.id}
          type="button"
          role="tab"
          id={`tab-${tab.id}`}
          aria-selected={active === tab.id}
          aria-controls={`panel-${tab.id}`}
          className={`tabs__tab${active === tab.id ? ' tabs__tab--active' : ''}`}
          onClick={() => onSelect(tab.id)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

const appName = (key: AppKey) => APPS[key]?.name ?? key;

export function RoleMappingsTab({ userId }: { userId: number }) {
  const client = useQueryClient();
  const roles = useQuery({
    queryKey: ['user', String(userId), 'roles'],
    queryFn: () => api<UserRoles>(`/users/${userId}/roles`),
  });
  const apps = useQuery({
    queryKey: ['applications'],
    queryFn: () => api<{ items: Application[] }>('/applications'),
    enabled: roles.data?.can.assignRoles === true,
  });
  const [app, setApp] = useState<AppKey>('quality_management');
  const [roleId, setRoleId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const onSaved = (data: UserRoles) => {
    client.setQueryData(['user', String(userId), 'roles'], data);
    setError(null);
  };
  const assign = useMutation({
    mutationFn: (id: number) => api<UserRoles>(`/users/${userId}/roles`, { method: 'POST', body: { roleIds: [id] } }),
    onSuccess: (data) => {
      onSaved(data);
      setRoleId('');
    },
    onError: (e) => setError(e.message),
  });
  const unassign = useMutation({
    mutationFn: (id: number) => api<UserRoles>(`/users/${userId}/roles/${id}`, { method: 'DELETE' }),
    onSuccess: onSaved,
    onError: (e) => setError(e.message),
  });

  if (roles.isPending) return <Spinner label="Loading roles" />;
  if (roles.error) return <Notice tone="error">{roles.error.message}</Notice>;
  const data = roles.data;
  const held = new Set(data.assigned.map((r) => r.id));
  const available = (apps.data?.items.find((a) => a.key === app)?.roles ?? []).filter(
    (r) => !held.has(r.id) && r.name !== 'OWNER',
  );
  const effectiveByApp = new Map<AppKey, typeof data.effective>();
  for (const role of data.effective)
    effectiveByApp.set(role.application, [...(effectiveByApp.get(role.application) ?? []), role]);

  return (
    <div className="stack" role="tabpanel" id="panel-roles" aria-labelledby="tab-roles">
      {error ? (
        <Notice tone="error" onDismiss={() => setError(null)}>
          {error}
        </Notice>
      ) : null}
      <section className="card card--padded" aria-labelledby="assigned-title">
        <div className="card__header">
          <h2 className="card__title" id="assigned-title">
            Assigned roles
          </h2>
          <p className="muted small">Roles and composite roles given to this user. A new user has none.</p>
        </div>
        {data.assigned.length === 0 ? (
          <p className="muted role-empty">No roles assigned.</p>
        ) : (
          <ul className="role-list" aria-label="Assigned roles">
            {data.assigned.map((role) => (
              <li key={role.id} className="role-list__item">
                <div>
                  <span className="role-name">{role.name}</span>{' '}
                  {role.composite ? <Badge tone="accent">Composite</Badge> : null}
                  <div className="muted small">
                    {appName(role.application)}
                    {role.description ? ` · ${role.description}` : ''}
                  </div>
                </div>
                {data.can.assignRoles ? (
                  <button
                    type="button"
                    className="button button--small button--danger-outline"
                    aria-label={`Remove ${role.name}`}
                    disabled={unassign.isPending}
                    onClick={() => unassign.mutate(role.id)}
                  >
                    Remove
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        )}
        {data.can.assignRoles ? (
          <form
            className="assign-row"
            onSubmit={(event: FormEvent) => {
              event.preventDefault();
              if (!roleId) {
                setError('Choose a role to assign.');
                return;
              }
              assign.mutate(Number(roleId));
            }}
          >
            <SelectField
              label="Application"
              value={app}
              onValue={(value) => {
                setApp(value as AppKey);
                setRoleId('');
              }}
              options={Object.entries(APPS).map(([key, info]) => ({ value: key, label: info.name }))}
            />
            <SelectField
              label="Role to assign"
              value={roleId}
              onValue={setRoleId}
              options={[
                { value: '', label: available.length ? 'Choose a role…' : 'No more roles to assign' },
                ...available.map((r) => ({
                  value: String(r.id),
                  label: r.composite ? `${r.name} (composite)` : r.name,
                })),
              ]}
            />
            <button type="submit" className="button button--primary" disabled={assign.isPending}>
              {assign.isPending ? 'Assigning…' : 'Assign role'}
            </button>
          </form>
        ) : null}
      </section>

      <section className="card card--padded" aria-labelledby="mapped-title">
        <div className="card__header">
          <h2 className="card__title" id="mapped-title">
            From the access type
          </h2>
          <p className="muted small">Each application maps the user's access type to one of its roles.</p>
        </div>
        {data.fromAccessType.length === 0 ? (
          <p className="muted role-empty">This access type maps to no application role.</p>
        ) : (
          <ul className="role-list">
            {data.fromAccessType.map((role) => (
              <li key={role.id} className="role-list__item">
                <div>
                  <span className="role-name">{role.name}</span>
                  <div className="muted small">{role.description}</div>
                </div>
                <span className="muted small">
                  {appName(role.application)} ·{' '}
                  {role.via === 'owner' ? 'Owner' : (ACCESS_TYPE_LABELS[role.via as AccessType] ?? role.via)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card card--padded" aria-labelledby="effective-title">
        <div className="card__header">
          <h2 className="card__title" id="effective-title">
            Effective roles
          </h2>
          <p className="muted small">
            Everything the roles above expand to, composites included. Hover a role to see where it comes from.
          </p>
        </div>
        {effectiveByApp.size === 0 ? (
          <p className="muted role-empty">No effective roles.</p>
        ) : (
          <dl className="effective" data-testid="effective-roles">
            {[...effectiveByApp.entries()].map(([key, list]) => (
              <div key={key} className="effective__row">
                <dt>{appName(key)}</dt>
                <dd>
                  {list.map((role) => (
                    <span key={role.id} className="role-chip" title={`From ${role.from.join(', ')}`}>
                      {role.name}
                    </span>
                  ))}
                </dd>
              </div>
            ))}
          </dl>
        )}
      </section>
    </div>
  );
}

export function LicensesTab({ userId }: { userId: number }) {
  const client = useQueryClient();
  const key = ['user', String(userId), 'licenses'];
  const licenses = useQuery({ queryKey: key, queryFn: () => api<UserLicenses>(`/users/${userId}/licenses`) });
  const [error, setError] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: ({ app, on }: { app: AppKey; on: boolean }) =>
      on
        ? api<UserLicenses>(`/users/${userId}/licenses`, { method: 'POST', body: { application: app } })
        : api<UserLicenses>(`/users/${userId}/licenses/${app}`, { method: 'DELETE' }),
    onSuccess: (data) => {
      client.setQueryData(key, data);
      client.invalidateQueries({ queryKey: ['users'] });
      client.invalidateQueries({ queryKey: ['user', String(userId)], exact: true });
      client.invalidateQueries({ queryKey: ['licenses'] });
      setError(null);
    },
    onError: (e) => setError(e.message),
  });
  const analysis = useMutation({
    mutationFn: (on: boolean) =>
      api<AppSettings>(`/users/${userId}/app-settings/analysis`, { method: 'PATCH', body: { analysisEnabled: on } }),
    onSuccess: (data) => {
      client.setQueryData(key, (old: UserLicenses | undefined) =>
        old ? { ...old, analysisEnabled: data.analysisEnabled } : old,
      );
      setError(null);
    },
    onError: (e) => setError(e.message),
  });
  if (licenses.isPending) return <Spinner label="Loading licenses" />;
  if (licenses.error) return <Notice tone="error">{licenses.error.message}</Notice>;
  const data = licenses.data;
  const editable = data.can.manageLicenses;
  return (
    <div className="stack" role="tabpanel" id="panel-licenses" aria-labelledby="tab-licenses">
      {error ? (
        <Notice tone="error" onDismiss={() => setError(null)}>
          {error}
        </Notice>
      ) : null}
      <section className="card" aria-label="Licenses">
        <ul className="license-list">
          {data.applications.map((app) => (
            <li key={app.application} className="license-list__item">
              <div className="license-list__text">
                <span className="license-list__name">{app.license}</span>
                <span className="muted small">
                  {app.name}
                  {app.licensed && app.grantedAt ? ` · licensed since ${formatDate(app.grantedAt)}` : ''}
                  {app.pool
                    ? app.pool.kind === 'minutes'
                      ? ` · pool: ${formatCount(app.pool.used)} of ${formatCount(app.pool.size)} minutes used`
                      : ` · pool: ${formatCount(app.pool.used)} of ${formatCount(app.pool.size)} seats taken`
                    : ''}
                </span>
              </div>
              <Switch
                label={app.licensed ? 'Licensed' : 'Not licensed'}
                checked={app.licensed}
                disabled={!editable || change.isPending}
                onChange={(on) => change.mutate({ app: app.application, on })}
              />
            </li>
          ))}
        </ul>
      </section>
      <section className="card card--padded" aria-labelledby="analysis-title">
        <h2 className="card__title" id="analysis-title">
          Voice Analytics
        </h2>
        <Switch
          label="Transcribe and analyze this user's recordings"
          checked={data.analysisEnabled}
          disabled={!data.can.editSettings || analysis.isPending}
          onChange={(on) => analysis.mutate(on)}
          hint="Switch it off to save minutes of the pool or when the user must not be analyzed."
        />
      </section>
    </div>
  );
}

export function ChatSettingsTab({ userId }: { userId: number }) {
  const client = useQueryClient();
  const key = ['user', String(userId), 'app-settings'];
  const settings = useQuery({ queryKey: key, queryFn: () => api<AppSettings>(`/users/${userId}/app-settings`) });
  if (settings.isPending) return <Spinner label="Loading chat settings" />;
  if (settings.error) return <Notice tone="error">{settings.error.message}</Notice>;
  return (
    <ChatSettingsForm
      key={userId}
      userId={userId}
      settings={settings.data}
      onSaved={(data) => client.setQueryData(key, data)}
    />
  );
}

function ChatSettingsForm({
  userId,
  settings,
  onSaved,
}: {
  userId: number;
  settings: AppSettings;
  onSaved: (data: AppSettings) => void;
}) {
  const [status, setStatus] = useState<ChatStatus>(settings.chat.status);
  const [limit, setLimit] = useState(String(settings.chat.chatLimit));
  const [tag, setTag] = useState(settings.chat.tag);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const save = useMutation({
    mutationFn: (body: unknown) => api<AppSettings>(`/users/${userId}/app-settings/chat`, { method: 'PATCH', body }),
    onSuccess: (data) => {
      onSaved(data);
      setNotice({ tone: 'success', text: 'Chat settings saved.' });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.fields.length > 0) setErrors(error.fieldMap());
      setNotice({ tone: 'error', text: error.message });
    },
  });
  const readOnly = !settings.can.editSettings;
  function submit(event: FormEvent) {
    event.preventDefault();
    const body = { status, chatLimit: limit.trim() === '' ? Number.NaN : Number(limit), tag };
    const parsed = chatSettingsSchema.safeParse(body);
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      setNotice(null);
      return;
    }
    setErrors({});
    save.mutate(parsed.data);
  }
  return (
    <form className="stack" role="tabpanel" id="panel-chat" aria-labelledby="tab-chat" onSubmit={submit} noValidate>
      {notice ? (
        <Notice tone={notice.tone} onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      ) : null}
      <section className="card card--padded" aria-labelledby="chat-title">
        <div className="card__header">
          <h2 className="card__title" id="chat-title">
            Chat routing
          </h2>
          <p className="muted small">How chats reach this agent.</p>
        </div>
        <div className="form-grid chat-grid">
          <SelectField
            label="Status"
            value={status}
            onValue={(value) => setStatus(value as ChatStatus)}
            options={CHAT_STATUSES.map((value) => ({ value, label: CHAT_STATUS_LABELS[value] }))}
            error={errors.status}
            disabled={readOnly}
            hint="Available: ready for chats · Unavailable: busy · Inactive: away"
          />
          <TextField
            label="Chat limit"
            value={limit}
            onValue={setLimit}
            inputMode="numeric"
            error={errors.chatLimit}
            disabled={readOnly}
            hint="Chats at once; -1 for no limit (the default)."
          />
          <TextField
            label="Tag"
            value={tag}
            onValue={setTag}
            error={errors.tag}
            disabled={readOnly}
            hint="For your own grouping, e.g. a shift."
          />
        </div>
      </section>
      {readOnly ? null : (
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save chat settings'}
          </button>
        </div>
      )}
    </form>
  );
}
