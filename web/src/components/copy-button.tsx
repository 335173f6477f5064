// A button that copies a value (a token, a secret, a URL) and says so for a moment once it has.
import { useState } from 'react';

export function CopyButton({
  value,
  label,
  small = false,
  disabled,
}: {
  value: string;
  /** What is copied, for the button's accessible name ("Copy token", then "Copied token"). */
  label: string;
  small?: boolean;
  disabled?: boolean;
}) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    await navigator.clipboard?.writeText(value).catch(() => undefined);
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  }
  return (
    <button
      type="button"
      className={`button button--secondary${small ? ' button--small' : ''}`}
      onClick={copy}
      disabled={disabled}
      aria-label={`${copied ? 'Copied' : 'Copy'} ${label}`}
    >
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}
