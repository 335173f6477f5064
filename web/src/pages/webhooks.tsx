// Webhooks: the endpoints the suite's applications receive changes at. An admin subscribes a URL to event types,
// copies its signing secret (shown once), watches its deliveries, resends one, sends a test, rotates the secret.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type {
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
} from '../../../shared/responses/webhooks.js';
import { USER_EVENT_LABELS, USER_EVENT_TYPES, type UserEventType } from '../../../shared/user-events.js';
import { webhookCreateSchema } from '../../../shared/webhook-schemas.js';
import { ApiError, api } from '../api.js';
import { CopyButton } from '../components/copy-button.js';
import {
  Badge,
  Checkbox,
  Dialog,
  DialogButtons,
  formatDateTime,
  Notice,
  RowButton,
  Spinner,
  TextField,
} from '../components/ui.js';
import { issuesByField } from '../forms.js';

const STATUS_TONES = { delivered: 'green', failed: 'red', pending: 'amber' } as const;
const STATUS_LABELS = { delivered: 'Delivered', failed: 'Failed', pending: 'Waiting' } as const;

export function WebhooksPage() {
  const client = useQueryClient();
  const endpoints = useQuery({
    queryKey: ['webhooks'],
    queryFn: () => api<{ items: WebhookEndpoint[] }>('/webhooks'),
  });
  const [secret, setSecret] = useState<{ endpoint: WebhookEndpointWithSecret; rotated: boolean } | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [deleting, setDeleting] = useState<WebhookEndpoint | null>(null);
  const [rotating, setRotating] = useState<WebhookEndpoint | null>(null);
  const [adding, setAdding] = useState(false);
  const refresh = () => client.invalidateQueries({ queryKey: ['webhooks'] });

  const rotate = useMutation({
    mutationFn: (id: number) => api<WebhookEndpointWithSecret>(`/webhooks/${id}/rotate-secret`, { method: 'POST' }),
    onSuccess: (endpoint) => {
      setRotating(null);
      setSecret({ endpoint, rotated: true });
      refresh();
    },
  });
  const toggle = useMutation({
    mutationFn: (endpoint: WebhookEndpoint) =>
      api(`/webhooks/${endpoint.id}`, { method: 'PATCH', body: { enabled: !endpoint.enabled } }),
    onSuccess: () => {
      refresh();
      client.invalidateQueries({ queryKey: ['webhook-deliveries'] });
    },
  });
  const remove = useMutation({
    mutationFn: (id: number) => api(`/webhooks/${id}`, { method: 'DELETE' }),
    onSuccess: (_, id) => {
      setDeleting(null);
      if (selected === id) setSelected(null);
      refresh();
    },
  });
  const test = useMutation({
    mutationFn: (id: number) => api<WebhookDelivery>(`/webhooks/${id}/test`, { method: 'POST' }),
    onSuccess: (_, id) => {
      setSelected(id);
      client.invalidateQueries({ queryKey: ['webhook-deliveries', id] });
    },
  });
  const items = endpoints.data?.items ?? [];
  // The deliveries of the endpoint picked, else of the first one.
  const shown = items.find((e) => e.id === selected) ?? items[0] ?? null;
  const actionError = rotate.error ?? toggle.error ?? remove.error ?? test.error;

  return (
    <div className="page">
      <div className="page__header">
        <div className="page__heading">
          <h1 className="page__title">Webhooks</h1>
        </div>
        <button type="button" className="button button--primary" onClick={() => setAdding(true)}>
          Add endpoint
        </button>
      </div>
      <p className="page__lead muted">
        Roster sends each change of your users to the applications that subscribe to it, as a signed HTTPS{' '}
        <code>POST</code> (Standard Webhooks: <code>webhook-id</code>, <code>webhook-timestamp</code>,{' '}
        <code>webhook-signature</code>). A delivery that fails is tried again for three days.
      </p>
      {secret ? (
        <Notice tone="success" onDismiss={() => setSecret(null)}>
          <p>
            {secret.rotated ? 'New signing secret' : 'Signing secret'} of <strong>{secret.endpoint.url}</strong>: copy
            it now. It is shown only this once.
            {secret.rotated ? ' Deliveries are also signed with the previous secret for 24 hours.' : ''}
          </p>
          <div className="secret-row">
            <code className="secret" data-testid="webhook-secret">
              {secret.endpoint.secret}
            </code>
            <CopyButton value={secret.endpoint.secret} label="signing secret" small />
          </div>
        </Notice>
      ) : null}
      <NewEndpoint
        open={adding}
        onClose={() => setAdding(false)}
        onCreated={(endpoint) => {
          setAdding(false);
          setSecret({ endpoint, rotated: false });
          setSelected(endpoint.id);
          refresh();
        }}
      />
      {actionError ? <Notice tone="error">{actionError.message}</Notice> : null}
      {endpoints.isPending ? <Spinner label="Loading endpoints" /> : null}
      {endpoints.data ? (
        <section className="card table-card" aria-label="Endpoints">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">Secret</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 ? (
                <tr>
                  <td colSpan={5} className="table-empty">
                    No endpoints yet.
                  </td>
                </tr>
              ) : (
                items.map((endpoint) => (
                  <tr key={endpoint.id} className={endpoint.id === shown?.id ? 'webhook-row--selected' : undefined}>
                    <td className="webhook-url">
                      <div>{endpoint.url}</div>
                      {endpoint.description ? <div className="muted small">{endpoint.description}</div> : null}
                    </td>
                    <td className="small">
                      {endpoint.eventTypes.length === USER_EVENT_TYPES.length
                        ? 'All events'
                        : endpoint.eventTypes.map((t) => USER_EVENT_LABELS[t]).join(', ')}
                    </td>
                    <td>
                      <Badge tone={endpoint.enabled ? 'green' : 'neutral'}>{endpoint.enabled ? 'On' : 'Off'}</Badge>
                      {endpoint.disabledReason ? (
                        <div className="field__error small">{endpoint.disabledReason}</div>
                      ) : null}
                    </td>
                    <td className="nowrap">
                      <code>{endpoint.secretHint}</code>
                      {endpoint.previousSecretUntil ? (
                        <div className="muted small">
                          Previous one until {formatDateTime(endpoint.previousSecretUntil)}
                        </div>
                      ) : null}
                    </td>
                    <td className="row-actions">
                      <RowButton label="Deliveries" name={endpoint.url} onClick={() => setSelected(endpoint.id)} />
                      {endpoint.enabled ? (
                        <RowButton label="Send test" name={endpoint.url} onClick={() => test.mutate(endpoint.id)} />
                      ) : null}
                      <RowButton label="Rotate secret" name={endpoint.url} onClick={() => setRotating(endpoint)} />
                      <RowButton
                        label={endpoint.enabled ? 'Turn off' : 'Turn on'}
                        name={endpoint.url}
                        onClick={() => toggle.mutate(endpoint)}
                      />
                      <RowButton
                        label="Delete"
                        name={endpoint.url}
                        variant="danger-outline"
                        onClick={() => setDeleting(endpoint)}
                      />
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </section>
      ) : null}
      {shown ? <Deliveries endpoint={shown} /> : null}
      <Dialog
        open={rotating !== null}
        title="Rotate the signing secret?"
        onClose={() => setRotating(null)}
        footer={
          <DialogButtons
            onCancel={() => setRotating(null)}
            label="Rotate"
            disabled={rotate.isPending}
            onAction={() => rotating && rotate.mutate(rotating.id)}
          />
        }
      >
        <p>
          A new secret signs every delivery to <strong>{rotating?.url}</strong>. For 24 hours each delivery carries a
          second signature made with the current secret, so the application can switch in that time.
        </p>
      </Dialog>
      <Dialog
        open={deleting !== null}
        title="Delete this endpoint?"
        onClose={() => setDeleting(null)}
        footer={
          <DialogButtons
            onCancel={() => setDeleting(null)}
            label="Delete"
            danger
            disabled={remove.isPending}
            onAction={() => deleting && remove.mutate(deleting.id)}
          />
        }
      >
        <p>
          <strong>{deleting?.url}</strong> receives nothing more, and its deliveries are forgotten. To pause it instead,
          turn it off.
        </p>
      </Dialog>
    </div>
  );
}

function NewEndpoint({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (endpoint: WebhookEndpointWithSecret) => void;
}) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState<UserEventType[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  // A field's message goes once the admin changes it.
  const edited = (field: string) => setErrors(({ [field]: _, ...rest }) => rest);
  const create = useMutation({
    mutationFn: (body: unknown) => api<WebhookEndpointWithSecret>('/webhooks', { method: 'POST', body }),
    onSuccess: (endpoint) => {
      setUrl('');
      setDescription('');
      setTypes([]);
      onCreated(endpoint);
    },
    onError: (error) =>
      setErrors(error instanceof ApiError && error.fields.length ? error.fieldMap() : { _form: error.message }),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = webhookCreateSchema.safeParse({ url, description, eventTypes: types });
    if (!parsed.success) {
      setErrors(issuesByField(parsed.error.issues));
      return;
    }
    setErrors({});
    create.mutate(parsed.data);
  }
  const close = () => {
    setErrors({});
    onClose();
  };
  return (
    <Dialog
      open={open}
      title="New endpoint"
      onClose={close}
      footer={<DialogButtons onCancel={close} label="Add endpoint" form="webhook-form" disabled={create.isPending} />}
    >
      <form id="webhook-form" className="form-stack" onSubmit={submit} noValidate>
        <TextField
          label="URL"
          value={url}
          onValue={(value) => {
            setUrl(value);
            edited('url');
          }}
          error={errors.url}
          placeholder="https://app.example.com/roster/webhooks"
          hint="Where Roster POSTs each event."
        />
        <TextField
          label="Description"
          value={description}
          onValue={(value) => {
            setDescription(value);
            edited('description');
          }}
          error={errors.description}
          hint="Which application it is, e.g. Smartflows portal."
        />
        <fieldset className={`role-picker${errors.eventTypes ? ' role-picker--invalid' : ''}`}>
          <legend className="field__label">Events</legend>
          <Checkbox
            label="All events"
            checked={types.length === USER_EVENT_TYPES.length}
            onChange={(on) => {
              setTypes(on ? [...USER_EVENT_TYPES] : []);
              edited('eventTypes');
            }}
          />
          <div className="role-picker__list webhook-events">
            {USER_EVENT_TYPES.map((type) => (
              <Checkbox
                key={type}
                label={USER_EVENT_LABELS[type]}
                checked={types.includes(type)}
                onChange={(on) => {
                  setTypes((list) => (on ? [...list, type] : list.filter((t) => t !== type)));
                  edited('eventTypes');
                }}
              />
            ))}
          </div>
          {errors.eventTypes ? <p className="field__error">{errors.eventTypes}</p> : null}
        </fieldset>
        {errors._form ? <Notice tone="error">{errors._form}</Notice> : null}
      </form>
    </Dialog>
  );
}

function Deliveries({ endpoint }: { endpoint: WebhookEndpoint }) {
  const client = useQueryClient();
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const page = useQuery({
    queryKey: ['webhook-deliveries', endpoint.id, cursor],
    queryFn: () =>
      api<{ items: WebhookDelivery[]; nextCursor: string | null }>(`/webhooks/${endpoint.id}/deliveries`, {
        query: { cursor, limit: 20 },
      }),
    refetchInterval: 3_000,
  });
  const resend = useMutation({
    mutationFn: (delivery: WebhookDelivery) =>
      api<WebhookDelivery>(`/webhooks/${endpoint.id}/deliveries/${delivery.id}/resend`, { method: 'POST' }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['webhook-deliveries', endpoint.id] }),
  });
  return (
    <section className="card table-card" aria-label="Deliveries">
      <div className="table-card__header">
        <h2 className="card__title">Deliveries to {endpoint.url}</h2>
      </div>
      {resend.error ? <Notice tone="error">{resend.error.message}</Notice> : null}
      {page.isPending ? <Spinner label="Loading deliveries" /> : null}
      {page.data ? (
        <>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Response</th>
                <th scope="col">Time</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.length === 0 ? (
                <tr>
                  <td colSpan={6} className="table-empty">
                    No deliveries yet. Changes made from now on appear here; “Send test” sends one at once.
                  </td>
                </tr>
              ) : (
                page.data.items.map((delivery) => (
                  <tr key={delivery.id}>
                    <td>
                      <div>
                        <code>{delivery.eventType}</code>
                      </div>
                      <div className="muted small">{delivery.webhookId}</div>
                    </td>
                    <td>
                      <Badge tone={STATUS_TONES[delivery.status]}>{STATUS_LABELS[delivery.status]}</Badge>
                    </td>
                    <td>{delivery.attempts}</td>
                    <td>
                      {delivery.lastStatus !== null ? <code>{delivery.lastStatus}</code> : null}
                      {delivery.lastError ? <div className="field__error small">{delivery.lastError}</div> : null}
                      {delivery.lastStatus === null && !delivery.lastError ? <span className="muted">—</span> : null}
                    </td>
                    <td className="nowrap">
                      {formatDateTime(delivery.deliveredAt ?? delivery.lastAttemptAt ?? delivery.createdAt)}
                      {delivery.status === 'pending' && delivery.attempts > 0 && delivery.nextAttemptAt ? (
                        <div className="muted small">Next try {formatDateTime(delivery.nextAttemptAt)}</div>
                      ) : null}
                    </td>
                    <td className="nowrap">
                      {endpoint.enabled ? (
                        <RowButton label="Resend" name={delivery.webhookId} onClick={() => resend.mutate(delivery)} />
                      ) : null}
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
          <div className="pager">
            <button
              type="button"
              className="button button--ghost"
              disabled={cursors.length === 0}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              Newer
            </button>
            <button
              type="button"
              className="button button--ghost"
              disabled={!page.data.nextCursor}
              onClick={() => page.data.nextCursor && setCursors([...cursors, page.data.nextCursor])}
            >
              Older
            </button>
          </div>
        </>
      ) : null}
    </section>
  );
}
