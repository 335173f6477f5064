// Small building blocks every page uses: labelled fields with their errors, badges, avatar, highlight, dialog.
import {
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
  useEffect,
  useId,
  useRef,
  useState,
} from 'react';
import { USER_STATUS_LABELS, type UserStatus } from '../../../shared/constants.js';
import { highlightParts, type Range } from '../../../shared/search-text.js';

type FieldFrameProps = {
  id: string;
  label: string;
  error?: string;
  hint?: ReactNode;
  required?: boolean;
  children: ReactNode;
};

function FieldFrame({ id, label, error, hint, required, children }: FieldFrameProps) {
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <div className="field__label-row">
        <label htmlFor={id} className="field__label">
          {label}
        </label>
        {/* Outside the label so the accessible name stays "Password"; the input says aria-required. */}
        {required ? (
          <span className="field__required" aria-hidden="true">
            *
          </span>
        ) : null}
      </div>
      {children}
      {error ? (
        <p className="field__error" id={`${id}-error`}>
          <ErrorIcon /> {error}
        </p>
      ) : hint ? (
        <p className="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

function describedBy(id: string, error?: string, hint?: ReactNode): string | undefined {
  if (error) return `${id}-error`;
  if (hint) return `${id}-hint`;
  return undefined;
}

type TextFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'value'> & {
  label: string;
  value: string;
  onValue?: (value: string) => void;
  error?: string;
  hint?: ReactNode;
};

export function TextField({ label, value, onValue, error, hint, required, id, ...rest }: TextFieldProps) {
  const autoId = useId();
  const fieldId = id ?? autoId;
  return (
    <FieldFrame id={fieldId} label={label} error={error} hint={hint} required={required}>
      <input
        id={fieldId}
        className="input"
        value={value}
        onChange={(event) => onValue?.(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-required={required || undefined}
        aria-describedby={describedBy(fieldId, error, hint)}
        {...rest}
      />
    </FieldFrame>
  );
}

type TextAreaFieldProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'onChange' | 'value'> & {
  label: string;
  value: string;
  onValue?: (value: string) => void;
  error?: string;
  hint?: ReactNode;
};

export function TextAreaField({ label, value, onValue, error, hint, required, id, ...rest }: TextAreaFieldProps) {
  const autoId = useId();
  const fieldId = id ?? autoId;
  return (
    <FieldFrame id={fieldId} label={label} error={error} hint={hint} required={required}>
      <textarea
        id={fieldId}
        className="input textarea"
        value={value}
        onChange={(event) => onValue?.(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-required={required || undefined}
        aria-describedby={describedBy(fieldId, error, hint)}
        {...rest}
      />
    </FieldFrame>
  );
}

type SelectFieldProps = Omit<SelectHTMLAttributes<HTMLSelectElement>, 'onChange' | 'value'> & {
  label: string;
  value: string;
  onValue: (value: string) => void;
  options: readonly { value: string; label: string }[];
  error?: string;
  hint?: ReactNode;
};

export function SelectField({ label, value, onValue, options, error, hint, required, id, ...rest }: SelectFieldProps) {
  const autoId = useId();
  const fieldId = id ?? autoId;
  return (
    <FieldFrame id={fieldId} label={label} error={error} hint={hint} required={required}>
      <select
        id={fieldId}
        className="input select"
        value={value}
        onChange={(event) => onValue(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(fieldId, error, hint)}
        {...rest}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

export function Switch({
  label,
  checked,
  onChange,
  hint,
  disabled,
}: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ReactNode;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="field field--switch">
      <label className="switch" htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          role="switch"
          aria-checked={checked}
          checked={checked}
          disabled={disabled}
          onChange={(event) => onChange(event.target.checked)}
          aria-describedby={hint ? `${id}-hint` : undefined}
        />
        <span className="switch__track" aria-hidden="true">
          <span className="switch__thumb" />
        </span>
        <span className="switch__label">{label}</span>
      </label>
      {hint ? (
        <p className="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

export function Checkbox({
  label,
  checked,
  onChange,
  hint,
  disabled,
}: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ReactNode;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="field field--checkbox">
      <label className="checkbox" htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          checked={checked}
          disabled={disabled}
          onChange={(event) => onChange(event.target.checked)}
          aria-describedby={hint ? `${id}-hint` : undefined}
        />
        <span>{label}</span>
      </label>
      {hint ? (
        <p className="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** A read-only value laid out like a field, for data the console shows but never edits. */
export function ReadOnlyField({ label, children, hint }: { label: string; children: ReactNode; hint?: ReactNode }) {
  const id = useId();
  return (
    <div className="field field--readonly">
      <span className="field__label" id={id}>
        {label}
      </span>
      <div className="field__static" data-label={label}>
        {children}
      </div>
      {hint ? <p className="field__hint">{hint}</p> : null}
    </div>
  );
}

export function Badge({
  tone = 'neutral',
  children,
}: {
  tone?: 'neutral' | 'green' | 'red' | 'amber' | 'accent';
  children: ReactNode;
}) {
  return <span className={`badge badge--${tone}`}>{children}</span>;
}

/** A user's status: Active (has signed in), Invited (an invitation waits), Inactive. */
export function StatusBadge({ status }: { status: UserStatus }) {
  return (
    <Badge tone={status === 'active' ? 'green' : status === 'invited' ? 'accent' : 'neutral'}>
      {USER_STATUS_LABELS[status]}
    </Badge>
  );
}

export function initials(
  firstName: string | null | undefined,
  lastName: string | null | undefined,
  fallback = '?',
): string {
  const letters = `${firstName?.trim()[0] ?? ''}${lastName?.trim()[0] ?? ''}`;
  return (letters || fallback.trim()[0] || '?').toUpperCase();
}

const AVATAR_TONES = 6;

export function Avatar({
  user,
  size = 'md',
}: {
  user: { id: number; firstName: string; lastName: string | null; username: string };
  size?: 'sm' | 'md' | 'lg';
}) {
  return (
    <span className={`avatar avatar--${size} avatar--tone${Math.abs(user.id) % AVATAR_TONES}`} aria-hidden="true">
      {initials(user.firstName, user.lastName, user.username)}
    </span>
  );
}

/** Renders text with the API's match ranges wrapped in <mark>. */
export function Highlight({ text, ranges }: { text: string | null | undefined; ranges?: Range[] }) {
  if (!text) return null;
  if (!ranges || ranges.length === 0) return <>{text}</>;
  return (
    <>
      {highlightParts(text, ranges).map((part, index) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: parts are positional and never reordered
        part.hit ? <mark key={index}>{part.text}</mark> : <span key={index}>{part.text}</span>,
      )}
    </>
  );
}

/** A modal built on <dialog>: focus is trapped, Escape closes, and it has the dialog role for assistive tech. */
export function Dialog({
  open,
  title,
  onClose,
  children,
  footer,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      {open ? (
        <>
          <h2 className="dialog__title" id={titleId}>
            {title}
          </h2>
          <div className="dialog__body">{children}</div>
          <div className="dialog__footer">{footer}</div>
        </>
      ) : null}
    </dialog>
  );
}

export function Notice({
  tone,
  children,
  onDismiss,
}: {
  tone: 'success' | 'error' | 'info';
  children: ReactNode;
  onDismiss?: () => void;
}) {
  return (
    <div className={`notice notice--${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      <div className="notice__body">{children}</div>
      {onDismiss ? (
        <button type="button" className="notice__close" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      ) : null}
    </div>
  );
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <div className="spinner" role="status">
      <span className="spinner__dot" aria-hidden="true" />
      <span>{label}…</span>
    </div>
  );
}

function ErrorIcon() {
  return (
    <svg className="icon icon--inline" viewBox="0 0 16 16" aria-hidden="true">
      <circle cx="8" cy="8" r="7" fill="currentColor" />
      <rect x="7.1" y="3.8" width="1.8" height="5.2" rx="0.9" fill="#fff" />
      <circle cx="8" cy="11.4" r="1.05" fill="#fff" />
    </svg>
  );
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const integer = new Intl.NumberFormat('en-US');

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : dateTime.format(date);
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : dateOnly.format(date);
}

export function formatCount(value: number): string {
  return integer.format(value);
}

/** An open/closed dropdown menu that closes on Escape or a click outside the element `ref` is given to. */
export function useDropdown() {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !ref.current?.contains(event.target as Node))
        setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);
  return { open, setOpen, ref };
}

/** A dialog's Cancel button and its one action: the submit button of `form`, or a button that calls `onAction`. */
export function DialogButtons({
  onCancel,
  label,
  disabled,
  danger,
  form,
  onAction,
  cancelDisabled,
}: {
  onCancel: () => void;
  label: string;
  disabled?: boolean;
  danger?: boolean;
  form?: string;
  onAction?: () => void;
  /** While the action runs and cannot be stopped. */
  cancelDisabled?: boolean;
}) {
  return (
    <>
      <button type="button" className="button button--secondary" onClick={onCancel} disabled={cancelDisabled}>
        Cancel
      </button>
      <button
        type={form ? 'submit' : 'button'}
        form={form}
        className={`button ${danger ? 'button--danger' : 'button--primary'}`}
        disabled={disabled}
        onClick={onAction}
      >
        {label}
      </button>
    </>
  );
}

/** A button among a table row's actions: its label, then the row's name for screen readers ("Edit Sales"). */
export function RowButton({
  label,
  name,
  onClick,
  variant = 'secondary',
}: {
  label: string;
  name: string;
  onClick: () => void;
  variant?: 'secondary' | 'danger-outline' | 'ghost';
}) {
  return (
    <button type="button" className={`button button--small button--${variant}`} onClick={onClick}>
      {label}
      <span className="visually-hidden"> {name}</span>
    </button>
  );
}
