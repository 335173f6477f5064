// Whether the account requires a one-time code of every admin (and the owner).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api.js';
import { Checkbox, Notice, Spinner } from '../../components/ui.js';

export function SecondFactorSection() {
  const client = useQueryClient();
  const setting = useQuery({
    queryKey: ['second-factor'],
    queryFn: () => api<{ requireAdminOtp: boolean }>('/security/second-factor'),
  });
  const save = useMutation({
    mutationFn: (requireAdminOtp: boolean) =>
      api<{ requireAdminOtp: boolean }>('/security/second-factor', { method: 'PUT', body: { requireAdminOtp } }),
    onSuccess: (data) => {
      client.setQueryData(['second-factor'], data);
      // Turning it on may give the signed-in admin a required action.
      client.invalidateQueries({ queryKey: ['session'] });
    },
  });
  return (
    <section className="card card--padded" aria-labelledby="second-factor-title">
      <h2 id="second-factor-title" className="card__title">
        Second factor
      </h2>
      {setting.isPending ? <Spinner label="Loading" /> : null}
      {setting.data ? (
        <Checkbox
          label="Require a one-time code of every admin"
          checked={setting.data.requireAdminOtp}
          onChange={(checked) => save.mutate(checked)}
          disabled={save.isPending}
          hint="Admins (the owner too) without a device set one up at their next sign-in, and cannot remove it. Others choose for themselves in My profile."
        />
      ) : null}
      {save.error ? <Notice tone="error">{save.error.message}</Notice> : null}
    </section>
  );
}
