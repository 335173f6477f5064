// The single sign-on identities bound to a user (provider and subject), with Unlink for admins who may edit the user.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { UserIdentity } from '../../../shared/responses/sso.js';
import { api } from '../api.js';
import { Dialog, DialogButtons, formatDateTime, Notice, RowButton } from '../components/ui.js';

export function LinkedIdentities({ userId, userName }: { userId: number; userName: string }) {
  const client = useQueryClient();
  const key = ['user', String(userId), 'identities'];
  const identities = useQuery({
    queryKey: key,
    queryFn: () => api<{ items: UserIdentity[] }>(`/users/${userId}/identities`),
  });
  const [unlinking, setUnlinking] = useState<UserIdentity | null>(null);
  const unlink = useMutation({
    mutationFn: (identity: UserIdentity) =>
      api(`/users/${userId}/identities/${identity.providerId}`, { method: 'DELETE' }),
    onSuccess: () => {
      setUnlinking(null);
      client.invalidateQueries({ queryKey: key });
    },
  });
  const items = identities.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <section className="card table-card" aria-labelledby="section-identities">
      <div className="section-card__header">
        <h2 className="card__title" id="section-identities">
          Single sign-on identities
        </h2>
      </div>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col">Subject</th>
            <th scope="col">Linked</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((identity) => (
            <tr key={identity.providerId}>
              <td>{identity.providerName}</td>
              <td>
                <code>{identity.subject}</code>
              </td>
              <td className="nowrap">{formatDateTime(identity.createdAt)}</td>
              <td className="nowrap">{identity.lastUsedAt ? formatDateTime(identity.lastUsedAt) : 'Never'}</td>
              <td className="nowrap">
                {identity.can.unlink ? (
                  <RowButton
                    label="Unlink"
                    name={identity.providerName}
                    variant="danger-outline"
                    onClick={() => setUnlinking(identity)}
                  />
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Dialog
        open={unlinking !== null}
        title={`Unlink ${unlinking?.providerName ?? ''}?`}
        onClose={() => setUnlinking(null)}
        footer={
          <DialogButtons
            onCancel={() => setUnlinking(null)}
            label="Unlink"
            danger
            disabled={unlink.isPending}
            onAction={() => unlinking && unlink.mutate(unlinking)}
          />
        }
      >
        <p>
          {userName} will no longer be signed in by this identity at {unlinking?.providerName}. The next sign-in through
          it links or creates a user again only if the provider's settings allow it.
        </p>
        {unlink.error ? <Notice tone="error">{unlink.error.message}</Notice> : null}
      </Dialog>
    </section>
  );
}
