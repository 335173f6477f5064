// The list of an account's bearer tokens (application keys, SCIM tokens): name, hint, created, last used, and
// revoke after a confirmation. The token itself is never here: it is shown once, by the page that created it.
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Dialog, formatDateTime, Notice, RowButton } from './ui.js';

export interface TokenRow {
  id: number;
  name: string;
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export function TokenList<T extends TokenRow>({
  label,
  secretHeader,
  empty,
  items,
  canRevoke = () => true,
  revokeNote,
  onRevoke,
}: {
  /** The table's accessible name. */
  label: string;
  /** The column of the hints: "Key", "Token". */
  secretHeader: string;
  empty: string;
  items: T[];
  canRevoke?: (item: T) => boolean;
  /** What revoking means, said in the confirmation. */
  revokeNote: string;
  onRevoke: (item: T) => Promise<unknown>;
}) {
  const [revoking, setRevoking] = useState<T | null>(null);
  const revoke = useMutation({ mutationFn: (item: T) => onRevoke(item), onSuccess: () => setRevoking(null) });
  return (
    <>
      <section className="card table-card" aria-label={label}>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">{secretHeader}</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.length === 0 ? (
              <tr>
                <td colSpan={5} className="table-empty">
                  {empty}
                </td>
              </tr>
            ) : (
              items.map((item) => (
                <tr key={item.id}>
                  <td>{item.name}</td>
                  <td>
                    <code>{item.hint}</code>
                  </td>
                  <td className="nowrap">{formatDateTime(item.createdAt)}</td>
                  <td className="nowrap">{item.lastUsedAt ? formatDateTime(item.lastUsedAt) : 'Never'}</td>
                  <td className="nowrap">
                    {canRevoke(item) ? (
                      <RowButton
                        label="Revoke"
                        name={item.name}
                        variant="danger-outline"
                        onClick={() => setRevoking(item)}
                      />
                    ) : null}
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </section>
      <Dialog
        open={revoking !== null}
        title={`Revoke ${revoking?.name ?? ''}?`}
        onClose={() => setRevoking(null)}
        footer={
          <>
            <button type="button" className="button button--secondary" onClick={() => setRevoking(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="button button--danger"
              disabled={revoke.isPending}
              onClick={() => revoking && revoke.mutate(revoking)}
            >
              Revoke
            </button>
          </>
        }
      >
        <p>{revokeNote}</p>
        {revoke.error ? <Notice tone="error">{revoke.error.message}</Notice> : null}
      </Dialog>
    </>
  );
}
