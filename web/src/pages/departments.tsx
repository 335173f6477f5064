// Departments (F16) and the chat-routing groups linked to them.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { chatGroupSchema, departmentSchema } from '../../../shared/organization-schemas.js';
import { ApiError, api } from '../api.js';
import {
  Checkbox,
  Dialog,
  DialogButtons,
  formatCount,
  Notice,
  RowButton,
  Spinner,
  TextField,
} from '../components/ui.js';
import { issuesByField } from '../forms.js';
import type { ChatGroup, Department } from '../org-api.js';
import { useSession } from '../session.js';

type Editing =
  | { kind: 'rename'; department: Department }
  | { kind: 'delete'; department: Department }
  | { kind: 'chat'; group: ChatGroup | null }
  | { kind: 'delete-chat'; group: ChatGroup };

export function DepartmentsPage() {
  const client = useQueryClient();
  // Admins limited to some departments read this page only.
  const canChange = useSession().abilities.manageOrganization;
  const departments = useQuery({
    queryKey: ['departments'],
    queryFn: () => api<{ items: Department[] }>('/departments'),
  });
  const chatGroups = useQuery({
    queryKey: ['chat-groups'],
    queryFn: () => api<{ items: ChatGroup[] }>('/chat-groups'),
  });
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | undefined>();
  const [editing, setEditing] = useState<Editing | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => {
    client.invalidateQueries({ queryKey: ['departments'] });
    client.invalidateQueries({ queryKey: ['chat-groups'] });
    client.invalidateQueries({ queryKey: ['users'] });
  };
  const create = useMutation({
    mutationFn: (body: unknown) => api<Department>('/departments', { method: 'POST', body }),
    onSuccess: (d) => {
      setName('');
      setNotice(`${d.name} was created.`);
      refresh();
    },
    onError: (e) => setNameError(e instanceof ApiError ? (e.fieldMap().name ?? e.message) : e.message),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = departmentSchema.safeParse({ name });
    if (!parsed.success) {
      setNameError(issuesByField(parsed.error.issues).name);
      return;
    }
    setNameError(undefined);
    create.mutate(parsed.data);
  }
  const done = (text: string) => {
    setEditing(null);
    setNotice(text);
    refresh();
  };

  return (
    <div className="page page--narrow">
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">Departments</h1>
          {departments.data ? <span className="count-badge">{departments.data.items.length}</span> : null}
        </div>
      </div>
      <p className="page__lead muted">
        A user's department is one of these. Typing a new department name on a user (or importing one) creates it.
        Chat-routing groups handle the conversations of the departments linked to them.
      </p>
      {notice ? (
        <Notice tone="success" onDismiss={() => setNotice(null)}>
          {notice}
        </Notice>
      ) : null}
      {canChange ? (
        <form className="card card--padded key-form" onSubmit={submit} noValidate>
          <TextField label="New department" value={name} onValue={setName} error={nameError} />
          <button type="submit" className="button button--primary" disabled={create.isPending}>
            Create department
          </button>
        </form>
      ) : null}
      {departments.isPending ? <Spinner label="Loading departments" /> : null}
      {departments.error ? <Notice tone="error">{departments.error.message}</Notice> : null}
      {departments.data ? (
        <section className="card table-card" aria-label="Departments">
          <table className="table" aria-label="Department list">
            <thead>
              <tr>
                <th scope="col">Department</th>
                <th scope="col">Users</th>
                <th scope="col">Chat-routing groups</th>
                {canChange ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {departments.data.items.length === 0 ? (
                <tr>
                  <td colSpan={4} className="table-empty">
                    No departments yet.
                  </td>
                </tr>
              ) : (
                departments.data.items.map((d) => (
                  <tr key={d.id}>
                    <td>{d.name}</td>
                    <td>
                      {d.userCount > 0 ? (
                        <Link to={`/users?department=${encodeURIComponent(d.name)}`}>{formatCount(d.userCount)}</Link>
                      ) : (
                        <span className="muted">0</span>
                      )}
                    </td>
                    <td>
                      {d.chatGroups.length > 0 ? (
                        d.chatGroups.map((g) => (
                          <span key={g.id} className="role-chip">
                            {g.name}
                          </span>
                        ))
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    {canChange ? (
                      <td className="nowrap">
                        <RowButton
                          label="Rename"
                          name={d.name}
                          onClick={() => setEditing({ kind: 'rename', department: d })}
                        />{' '}
                        <RowButton
                          label="Delete"
                          name={d.name}
                          variant="danger-outline"
                          onClick={() => setEditing({ kind: 'delete', department: d })}
                        />
                      </td>
                    ) : null}
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </section>
      ) : null}

      <div className="page__header section-header">
        <h2 className="page__subtitle">Chat-routing groups</h2>
        {canChange ? (
          <button
            type="button"
            className="button button--primary"
            onClick={() => setEditing({ kind: 'chat', group: null })}
          >
            Create chat-routing group
          </button>
        ) : null}
      </div>
      {chatGroups.data ? (
        <section className="card table-card" aria-label="Chat-routing groups">
          <table className="table" aria-label="Chat-routing group list">
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">Linked departments</th>
                {canChange ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {chatGroups.data.items.length === 0 ? (
                <tr>
                  <td colSpan={3} className="table-empty">
                    No chat-routing groups yet.
                  </td>
                </tr>
              ) : (
                chatGroups.data.items.map((g) => (
                  <tr key={g.id}>
                    <td>{g.name}</td>
                    <td>
                      {g.departments.length > 0 ? (
                        g.departments.map((d) => (
                          <span key={d.id} className="role-chip">
                            {d.name}
                          </span>
                        ))
                      ) : (
                        <span className="muted">None</span>
                      )}
                    </td>
                    {canChange ? (
                      <td className="nowrap">
                        <RowButton label="Edit" name={g.name} onClick={() => setEditing({ kind: 'chat', group: g })} />{' '}
                        <RowButton
                          label="Delete"
                          name={g.name}
                          variant="danger-outline"
                          onClick={() => setEditing({ kind: 'delete-chat', group: g })}
                        />
                      </td>
                    ) : null}
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </section>
      ) : null}

      {editing?.kind === 'rename' ? (
        <RenameDepartment department={editing.department} onClose={() => setEditing(null)} onDone={done} />
      ) : null}
      {editing?.kind === 'delete' ? (
        <ConfirmDelete
          title={`Delete ${editing.department.name}?`}
          path={`/departments/${editing.department.id}`}
          onClose={() => setEditing(null)}
          onDone={() => done(`${editing.department.name} was deleted.`)}
        >
          <p>
            A department can be deleted when no user is in it and no chat-routing group is linked to it.
            {editing.department.userCount > 0
              ? ` ${editing.department.userCount} user(s) are in ${editing.department.name}.`
              : ''}
          </p>
        </ConfirmDelete>
      ) : null}
      {editing?.kind === 'delete-chat' ? (
        <ConfirmDelete
          title={`Delete ${editing.group.name}?`}
          path={`/chat-groups/${editing.group.id}`}
          onClose={() => setEditing(null)}
          onDone={() => done(`${editing.group.name} was deleted.`)}
        >
          <p>Its links to departments go with it; the departments stay.</p>
        </ConfirmDelete>
      ) : null}
      {editing?.kind === 'chat' ? (
        <ChatGroupDialog
          group={editing.group}
          departments={departments.data?.items ?? []}
          onClose={() => setEditing(null)}
          onDone={done}
        />
      ) : null}
    </div>
  );
}

function RenameDepartment({
  department,
  onClose,
  onDone,
}: {
  department: Department;
  onClose: () => void;
  onDone: (text: string) => void;
}) {
  const [name, setName] = useState(department.name);
  const [error, setError] = useState<string | undefined>();
  const rename = useMutation({
    mutationFn: () => api<Department>(`/departments/${department.id}`, { method: 'PATCH', body: { name } }),
    onSuccess: (d) =>
      onDone(`${department.name} is now ${d.name}${d.userCount > 0 ? ` (${d.userCount} user(s) updated)` : ''}.`),
    onError: (e) => setError(e instanceof ApiError ? (e.fieldMap().name ?? e.message) : e.message),
  });
  return (
    <Dialog
      open
      title={`Rename ${department.name}`}
      onClose={onClose}
      footer={
        <DialogButtons
          onCancel={onClose}
          disabled={rename.isPending}
          label="Rename"
          onAction={() => {
            const parsed = departmentSchema.safeParse({ name });
            if (!parsed.success) setError(issuesByField(parsed.error.issues).name);
            else rename.mutate();
          }}
        />
      }
    >
      <div className="form-stack">
        <TextField label="Name" value={name} onValue={setName} error={error} autoFocus />
        <p className="muted small">
          Every user in {department.name} ({formatCount(department.userCount)}) gets the new name.
        </p>
      </div>
    </Dialog>
  );
}

function ConfirmDelete({
  title,
  path,
  onClose,
  onDone,
  children,
}: {
  title: string;
  path: string;
  onClose: () => void;
  onDone: () => void;
  children: React.ReactNode;
}) {
  const remove = useMutation({ mutationFn: () => api(path, { method: 'DELETE' }), onSuccess: onDone });
  return (
    <Dialog
      open
      title={title}
      onClose={onClose}
      footer={
        <DialogButtons
          onCancel={onClose}
          disabled={remove.isPending}
          label="Delete"
          danger
          onAction={() => remove.mutate()}
        />
      }
    >
      {children}
      {remove.error ? <Notice tone="error">{remove.error.message}</Notice> : null}
    </Dialog>
  );
}

function ChatGroupDialog({
  group,
  departments,
  onClose,
  onDone,
}: {
  group: ChatGroup | null;
  departments: Department[];
  onClose: () => void;
  onDone: (text: string) => void;
}) {
  const [name, setName] = useState(group?.name ?? '');
  const [linked, setLinked] = useState<Set<number>>(() => new Set(group?.departments.map((d) => d.id) ?? []));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (body: unknown) =>
      api<ChatGroup>(group ? `/chat-groups/${group.id}` : '/chat-groups', {
        method: group ? 'PATCH' : 'POST',
        body,
      }),
    onSuccess: (saved) => onDone(`${saved.name} was saved.`),
    onError: (e) => {
      if (e instanceof ApiError && e.fields.length > 0) setErrors(e.fieldMap());
      else setMessage(e.message);
    },
  });
  return (
    <Dialog
      open
      title={group ? `Edit ${group.name}` : 'Create chat-routing group'}
      onClose={onClose}
      footer={
        <DialogButtons
          onCancel={onClose}
          disabled={save.isPending}
          label="Save"
          onAction={() => {
            const body = { name, departmentIds: [...linked] };
            const parsed = chatGroupSchema.safeParse(body);
            if (!parsed.success) setErrors(issuesByField(parsed.error.issues));
            else save.mutate(body);
          }}
        />
      }
    >
      <div className="form-stack">
        <TextField label="Name" value={name} onValue={setName} error={errors.name} autoFocus />
        <fieldset className="check-fieldset">
          <legend className="field__label">Linked departments</legend>
          {departments.length === 0 ? <p className="muted small">Create departments first.</p> : null}
          <ul className="check-list check-list--compact">
            {departments.map((d) => (
              <li key={d.id}>
                <Checkbox
                  label={d.name}
                  checked={linked.has(d.id)}
                  onChange={(on) =>
                    setLinked((current) => {
                      const next = new Set(current);
                      if (on) next.add(d.id);
                      else next.delete(d.id);
                      return next;
                    })
                  }
                />
              </li>
            ))}
          </ul>
          {errors.departmentIds ? <p className="field__error">{errors.departmentIds}</p> : null}
        </fieldset>
        {message ? <Notice tone="error">{message}</Notice> : null}
      </div>
    </Dialog>
  );
}
