// Picks departments among the account's (a checkbox list with a filter), so a name cannot be mistyped.
import { useId, useState } from 'react';

export function DepartmentPicker({
  label,
  departments,
  value,
  onChange,
  error,
  hint,
  loading = false,
}: {
  label: string;
  /** The account's departments, by name. */
  departments: string[];
  value: string[];
  onChange: (value: string[]) => void;
  error?: string;
  hint?: string;
  loading?: boolean;
}) {
  const id = useId();
  const [filter, setFilter] = useState('');
  const known = new Set(departments);
  // A chosen department deleted since still shows, marked, so it can be taken off.
  const gone = value.filter((name) => !known.has(name));
  const fold = (text: string) => text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  const shown = [...gone, ...departments].filter((name) => fold(name).includes(fold(filter.trim())));
  const toggle = (name: string, on: boolean) => onChange(on ? [...value, name] : value.filter((item) => item !== name));
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');

  return (
    <fieldset
      className={`field department-picker${error ? ' field--invalid' : ''}`}
      aria-describedby={describedBy || undefined}
    >
      <legend className="field__label">
        {label}
        {value.length > 0 ? <span className="department-picker__count"> · {value.length} chosen</span> : null}
      </legend>
      {departments.length > 8 ? (
        <input
          type="search"
          className="input input--compact"
          placeholder="Filter departments…"
          aria-label={`Filter ${label.toLowerCase()}`}
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
        />
      ) : null}
      <div className="department-picker__list">
        {loading ? (
          <p className="muted department-picker__empty">Loading departments…</p>
        ) : shown.length === 0 ? (
          <p className="muted department-picker__empty">
            {departments.length === 0 ? 'The account has no departments yet.' : 'No department matches.'}
          </p>
        ) : (
          shown.map((name) => (
            <label key={name} className="department-picker__option">
              <input
                type="checkbox"
                checked={value.includes(name)}
                onChange={(event) => toggle(name, event.target.checked)}
              />
              <span className="department-picker__name">{name}</span>
              {known.has(name) ? null : <span className="department-picker__gone">no longer exists</span>}
            </label>
          ))
        )}
      </div>
      {hint ? (
        <span className="field__hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      {error ? (
        <span className="field__error" id={`${id}-error`} role="alert">
          {error}
        </span>
      ) : null}
    </fieldset>
  );
}
