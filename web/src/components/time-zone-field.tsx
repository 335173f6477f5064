// A time zone typed or picked from the zones the browser knows (empty = the account's default).
import { useId } from 'react';
import { timeZones } from '../forms.js';
import { TextField } from './ui.js';

let zones: string[] | null = null;

export function TimeZoneField({
  value,
  onValue,
  error,
}: {
  value: string;
  onValue: (value: string) => void;
  error?: string;
}) {
  const listId = useId();
  zones ??= timeZones();
  return (
    <>
      <TextField
        label="Time zone"
        value={value}
        onValue={onValue}
        list={listId}
        placeholder="Account default"
        error={error}
      />
      <datalist id={listId}>
        {zones.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
    </>
  );
}
