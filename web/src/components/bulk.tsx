// Bulk actions on the user list (F18): the Actions menu, and the dialog that picks what the action needs, confirms
// with the number of users it touches, runs it and shows the per-user report (downloadable as CSV).
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { APP_KEYS, licenseLabel } from '../../../shared/access.js';
import {
  BULK_ACTION_LABELS,
  BULK_ACTION_PARAMS,
  type BulkAction,
  type BulkSelection,
} from '../../../shared/bulk-schemas.js';
import { REQUIRED_ACTION_LABELS, REQUIRED_ACTIONS, type RequiredAction } from '../../../shared/constants.js';
import { api, type BulkReport } from '../api.js';
import {
  Badge,
  Checkbox,
  Dialog,
  DialogButtons,
  formatCount,
  Notice,
  SelectField,
  Spinner,
  useDropdown,
} from './ui.js';

/** Actions that cannot be undone or lock people out get the red button. */
const DANGEROUS = new Set<BulkAction>(['delete', 'disable']);
/** Groups of the menu, in this order. */
const MENU: BulkAction[][] = [
  ['enable', 'disable', 'unlock', 'send_invitation'],
  ['add_required_actions', 'clear_required_actions'],
  ['enable_sync', 'disable_sync'],
  ['assign_team', 'unassign_team', 'set_main_team', 'assign_supervisor', 'unassign_supervisor'],
  ['assign_role', 'unassign_role'],
  ['assign_license', 'revoke_license'],
  ['delete'],
];

export function BulkActionsMenu({ disabled, onChoose }: { disabled: boolean; onChoose: (action: BulkAction) => void }) {
  const { open, setOpen, ref } = useDropdown();
  return (
    <div className="menu" ref={ref}>
      <button
        type="button"
        className="button button--primary button--small"
        aria-expanded={open}
        aria-haspopup="true"
        disabled={disabled}
        onClick={() => setOpen((value) => !value)}
      >
        Actions
        <span aria-hidden="true" className="caret">
          ▾
        </span>
      </button>
      {open ? (
        <div className="menu__panel menu__panel--actions">
          <ul className="menu__list" aria-label="Bulk actions">
            {MENU.map((group) =>
              group.map((action, index) => (
                <li key={action} className={`menu__item${index === 0 ? ' menu__item--group' : ''}`}>
                  <button
                    type="button"
                    className={`menu__apply${action === 'delete' ? ' menu__apply--danger' : ''}`}
                    onClick={() => {
                      setOpen(false);
                      onChoose(action);
                    }}
                  >
                    {BULK_ACTION_LABELS[action].menu}
                  </button>
                </li>
              )),
            )}
          </ul>
        </div>
      ) : null}
    </div>
  );
}

type Applications = {
  items: { key: string; name: string; roles: { id: number; name: string; application: string }[] }[];
};
type GroupTree = { items: { id: number; parentId: number | null; name: string }[] };

/** What the action needs (a team, a role or a license) as select options. */
function useParamOptions(action: BulkAction) {
  const need = BULK_ACTION_PARAMS[action];
  const groups = useQuery({
    queryKey: ['groups'],
    queryFn: () => api<GroupTree>('/groups'),
    enabled: need === 'groupId',
  });
  const apps = useQuery({
    queryKey: ['applications'],
    queryFn: () => api<Applications>('/applications'),
    enabled: need === 'roleId',
  });
  if (need === 'groupId') {
    const items = groups.data?.items ?? [];
    const byId = new Map(items.map((g) => [g.id, g]));
    return {
      label: 'Team',
      loading: groups.isPending,
      options: items.map((g) => {
        const parent = g.parentId ? byId.get(g.parentId) : undefined;
        return { value: String(g.id), label: parent ? `${parent.name} / ${g.name}` : g.name };
      }),
    };
  }
  if (need === 'roleId') {
    return {
      label: 'Role',
      loading: apps.isPending,
      options: (apps.data?.items ?? []).flatMap((app) =>
        app.roles.map((role) => ({ value: String(role.id), label: `${app.name} · ${role.name}` })),
      ),
    };
  }
  if (need === 'application') {
    return {
      label: 'License',
      loading: false,
      options: APP_KEYS.map((key) => ({ value: key, label: licenseLabel(key) })),
    };
  }
  return null;
}

export function BulkDialog({
  action,
  selection,
  onClose,
  onDone,
}: {
  action: BulkAction;
  selection: BulkSelection;
  onClose: () => void;
  onDone: (report: BulkReport) => void;
}) {
  const need = BULK_ACTION_PARAMS[action];
  const params = useParamOptions(action);
  const [choice, setChoice] = useState('');
  const [actions, setActions] = useState<RequiredAction[]>([]);
  const body = (dryRun: boolean) => ({
    action,
    selection,
    dryRun,
    ...(need === 'groupId' || need === 'roleId' ? { [need]: Number(choice) } : {}),
    ...(need === 'application' ? { application: choice } : {}),
    ...(need === 'requiredActions' ? { requiredActions: actions } : {}),
  });
  const ready = need === 'requiredActions' ? actions.length > 0 : !need || choice !== '';
  const count = useQuery({
    queryKey: ['bulk-count', action, selection, choice, actions],
    queryFn: () => api<BulkReport>('/users/bulk', { method: 'POST', body: body(true) }),
    enabled: ready,
    retry: false,
    staleTime: 0,
  });
  const run = useMutation({
    mutationFn: () => api<BulkReport>('/users/bulk', { method: 'POST', body: body(false) }),
    onSuccess: (report) => onDone(report),
  });
  const labels = BULK_ACTION_LABELS[action];
  const chosen =
    need === 'requiredActions'
      ? actions.map((a) => REQUIRED_ACTION_LABELS[a]).join(', ')
      : (params?.options.find((o) => o.value === choice)?.label ?? '');
  const n = count.data?.selected;
  const people = (value: number) => `${formatCount(value)} ${value === 1 ? 'user' : 'users'}`;
  const title = n === undefined ? labels.menu.replace('…', '') : `${labels.sentence(people(n), chosen)}?`;

  return (
    <Dialog
      open
      title={title}
      onClose={onClose}
      footer={
        <DialogButtons
          onCancel={onClose}
          cancelDisabled={run.isPending}
          label={run.isPending ? 'Working…' : n === undefined ? 'Confirm' : `${labels.button} ${people(n)}`}
          danger={DANGEROUS.has(action)}
          disabled={!ready || n === undefined || n === 0 || run.isPending}
          onAction={() => run.mutate()}
        />
      }
    >
      {params ? (
        <SelectField
          label={params.label}
          value={choice}
          onValue={setChoice}
          disabled={run.isPending}
          options={[
            { value: '', label: params.loading ? 'Loading…' : `Choose a ${params.label.toLowerCase()}` },
            ...params.options,
          ]}
          hint={
            params.options.length === 0 && !params.loading
              ? `There is no ${params.label.toLowerCase()} yet.`
              : undefined
          }
        />
      ) : null}
      {need === 'requiredActions' ? (
        <fieldset className="required-actions" disabled={run.isPending}>
          <legend className="field__label">Required actions</legend>
          <p className="field__hint">
            Added to what each user must already do; done in this order at the next sign-in.
          </p>
          <div className="required-actions__grid">
            {REQUIRED_ACTIONS.map((a) => (
              <Checkbox
                key={a}
                label={REQUIRED_ACTION_LABELS[a]}
                checked={actions.includes(a)}
                onChange={(checked) =>
                  setActions((list) => REQUIRED_ACTIONS.filter((x) => (x === a ? checked : list.includes(x))))
                }
              />
            ))}
          </div>
        </fieldset>
      ) : null}
      {!ready ? null : count.isPending ? (
        <Spinner label="Counting the users" />
      ) : count.error ? (
        <Notice tone="error">{count.error.message}</Notice>
      ) : n === 0 ? (
        <p>No user of this selection is within your reach.</p>
      ) : (
        <p data-testid="bulk-confirm">
          <strong>{labels.sentence(people(n ?? 0), chosen)}</strong>
          {'filter' in selection ? ': every user matching the current filter' : ': the users you selected'}. Users it
          does not apply to (the owner, yourself where it matters, users already so) are skipped and listed in the
          report.
          {action === 'delete' ? ' Deleted users cannot be restored.' : ''}
        </p>
      )}
      {run.isPending ? <Spinner label="Working on it" /> : null}
      {run.error ? <Notice tone="error">{run.error.message}</Notice> : null}
    </Dialog>
  );
}

const OUTCOME_LABELS = { done: 'Done', skipped: 'Skipped', failed: 'Failed' } as const;
const SHOWN_PER_GROUP = 20;

export function BulkReportDialog({ report, onClose }: { report: BulkReport; onClose: () => void }) {
  const labels = BULK_ACTION_LABELS[report.action];
  function download() {
    const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
    const lines = ['User ID,Username,Outcome,Reason'];
    for (const group of report.groups) {
      for (const [id, username] of group.users) {
        lines.push([String(id), quote(username), group.outcome, quote(group.reason ?? '')].join(','));
      }
    }
    const blob = new Blob([`\uFEFF${lines.join('\r\n')}\r\n`], { type: 'text/csv' });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = `bulk-${report.action}-report.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
  return (
    <Dialog
      open
      title={`${labels.menu.replace('…', '')}: report`}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button button--secondary" onClick={download}>
            Download report (CSV)
          </button>
          <button type="button" className="button button--primary" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      {report.completed ? null : (
        <Notice tone="error">
          {report.error ?? 'The action stopped before the end.'} The users done so far stay done.
        </Notice>
      )}
      <dl className="bulk-summary" data-testid="bulk-summary">
        <div>
          <dt>Done</dt>
          <dd>{formatCount(report.done)}</dd>
        </div>
        <div>
          <dt>Skipped</dt>
          <dd>{formatCount(report.skipped)}</dd>
        </div>
        {report.failed > 0 ? (
          <div>
            <dt>Failed</dt>
            <dd>{formatCount(report.failed)}</dd>
          </div>
        ) : null}
      </dl>
      <section className="bulk-report" aria-label="Report per user">
        {report.groups.map((group) => (
          <section key={`${group.outcome}-${group.reason}`} className="bulk-report__group">
            <h3 className="bulk-report__title">
              <Badge tone={group.outcome === 'done' ? 'green' : group.outcome === 'failed' ? 'red' : 'amber'}>
                {OUTCOME_LABELS[group.outcome]}
              </Badge>
              {group.reason ? <span>{group.reason}</span> : null}
              <span className="muted">{formatCount(group.users.length)}</span>
            </h3>
            <p className="bulk-report__users">
              {group.users
                .slice(0, SHOWN_PER_GROUP)
                .map(([id, username]) => username || `#${id}`)
                .join(', ')}
              {group.users.length > SHOWN_PER_GROUP
                ? ` and ${formatCount(group.users.length - SHOWN_PER_GROUP)} more (see the CSV)`
                : ''}
            </p>
          </section>
        ))}
      </section>
    </Dialog>
  );
}
