// The groups a user may see (call tracking's group permission): a searchable list of the tree's groups.
import { useMemo, useState } from 'react';
import { Checkbox } from '../components/ui.js';
import { indexTree } from '../org-api.js';
import { useGroupTree } from './groups.js';

const SHOWN = 50;

export function VisibleGroupsField({
  value,
  onChange,
  error,
  disabled,
}: {
  value: number[];
  onChange: (ids: number[]) => void;
  error?: string;
  disabled?: boolean;
}) {
  const tree = useGroupTree();
  const [query, setQuery] = useState('');
  const index = useMemo(() => indexTree(tree.data?.items ?? []), [tree.data]);
  const chosen = useMemo(() => new Set(value), [value]);
  const groups = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return (tree.data?.items ?? [])
      .map((g) => ({ id: g.id, path: index.path(g) }))
      .filter((g) => !needle || g.path.toLowerCase().includes(needle))
      .sort((a, b) => Number(chosen.has(b.id)) - Number(chosen.has(a.id)) || a.path.localeCompare(b.path));
  }, [tree.data, index, query, chosen]);
  const toggle = (id: number, on: boolean) =>
    onChange((on ? [...value, id] : value.filter((v) => v !== id)).sort((a, b) => a - b));
  return (
    <fieldset className={`visible-groups${error ? ' field--invalid' : ''}`}>
      <legend className="field__label">Groups they may see</legend>
      <p className="field__hint">
        {value.length === 0 ? 'None chosen.' : `${value.length} chosen.`} Roaming agents may be given conversations of
        any of these groups.
      </p>
      <input
        className="input"
        type="search"
        placeholder="Search groups"
        aria-label="Search groups they may see"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        disabled={disabled}
      />
      <ul className="check-list check-list--compact" aria-label="Groups they may see">
        {groups.slice(0, SHOWN).map((g) => (
          <li key={g.id}>
            <Checkbox
              label={g.path}
              checked={chosen.has(g.id)}
              onChange={(on) => toggle(g.id, on)}
              disabled={disabled}
            />
          </li>
        ))}
      </ul>
      {groups.length === 0 ? <p className="muted small">No groups match.</p> : null}
      {groups.length > SHOWN ? <p className="muted small">{groups.length - SHOWN} more: narrow the search.</p> : null}
      {error ? <p className="field__error">{error}</p> : null}
    </fieldset>
  );
}
