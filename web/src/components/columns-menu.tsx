// The "Columns" menu of a table: which optional columns show, remembered per admin in this browser.
import { useCallback, useState } from 'react';
import { useDropdown } from './ui.js';

/** An optional column; `hidden` ones start hidden until the admin shows them. */
export type ColumnOption<K extends string> = { key: K; label: string; hidden?: boolean };

type Choice<K extends string> = Partial<Record<K, boolean>>;

function readChoice<K extends string>(storageKey: string, options: readonly ColumnOption<K>[]): Choice<K> {
  try {
    const stored = JSON.parse(localStorage.getItem(storageKey) ?? '{}') as Record<string, unknown>;
    const choice: Choice<K> = {};
    for (const { key } of options) if (typeof stored[key] === 'boolean') choice[key] = stored[key] as boolean;
    return choice;
  } catch {
    // A damaged or foreign value: the default columns.
    return {};
  }
}

/**
 * Which optional columns show: the admin's choice, kept in localStorage under `storageKey` (one key per account and
 * admin, so people sharing a browser keep their own), over each column's default. Only the columns the admin turned
 * on or off are stored, so a column added later shows as its default says.
 */
export function useColumnChoice<K extends string>(storageKey: string, options: readonly ColumnOption<K>[]) {
  const [state, setState] = useState(() => ({ key: storageKey, choice: readChoice(storageKey, options) }));
  const choice = state.key === storageKey ? state.choice : readChoice(storageKey, options);
  const isShown = (key: K) => choice[key] ?? !options.find((option) => option.key === key)?.hidden;
  const store = useCallback(
    (next: Choice<K>) => {
      try {
        if (Object.keys(next).length === 0) localStorage.removeItem(storageKey);
        else localStorage.setItem(storageKey, JSON.stringify(next));
      } catch {
        // Storage full or disabled: the choice lasts until the page is left.
      }
      setState({ key: storageKey, choice: next });
    },
    [storageKey],
  );
  const setShown = (key: K, shown: boolean) => {
    const next = { ...choice };
    if (shown === !options.find((option) => option.key === key)?.hidden) delete next[key];
    else next[key] = shown;
    store(next);
  };
  return { isShown, setShown, reset: () => store({}), changed: Object.keys(choice).length > 0 };
}

export function ColumnsMenu<K extends string>({
  options,
  isShown,
  setShown,
  reset,
  changed,
}: {
  options: readonly ColumnOption<K>[];
  isShown: (key: K) => boolean;
  setShown: (key: K, shown: boolean) => void;
  reset: () => void;
  changed: boolean;
}) {
  const { open, setOpen, ref } = useDropdown();
  const shownCount = options.filter((option) => isShown(option.key)).length;
  return (
    <div className="menu" ref={ref}>
      <button
        type="button"
        className="button button--secondary"
        aria-expanded={open}
        aria-haspopup="true"
        aria-controls="columns-menu"
        onClick={() => setOpen((value) => !value)}
      >
        Columns
        <span className="pill" title={`${shownCount} of ${options.length} optional columns shown`}>
          {shownCount}/{options.length}
        </span>
        <span aria-hidden="true" className="caret">
          ▾
        </span>
      </button>
      {open ? (
        <fieldset className="menu__panel menu__panel--end columns-menu" id="columns-menu">
          <legend className="columns-menu__legend">Show columns</legend>
          {options.map((option) => (
            <label key={option.key} className="columns-menu__option">
              <input
                type="checkbox"
                checked={isShown(option.key)}
                onChange={(event) => setShown(option.key, event.target.checked)}
              />
              <span>{option.label}</span>
            </label>
          ))}
          <button type="button" className="link-button columns-menu__reset" onClick={reset} disabled={!changed}>
            Default columns
          </button>
        </fieldset>
      ) : null}
    </div>
  );
}
