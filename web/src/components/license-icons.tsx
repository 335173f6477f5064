// Licenses shown compactly, one small icon per application (as the suite's own user list shows them), each named by
// a tooltip and for screen readers.
import type { ReactNode } from 'react';
import { APPS, type AppKey, isAppKey } from '../../../shared/access.js';

/** Each application's glyph, drawn on a 16-unit grid in the badge's colour. */
const GLYPHS: Record<AppKey, ReactNode> = {
  // Smartflows (chat routing): a speech bubble.
  chat: <path d="M3 4.5h10v6H7.5L4.5 13v-2.5H3z" strokeLinejoin="round" />,
  // Call Recording: the record dot in a ring.
  call_recording: (
    <>
      <circle cx="8" cy="8" r="5" />
      <circle cx="8" cy="8" r="2" fill="currentColor" />
    </>
  ),
  // Voice Analytics: a waveform.
  voice_analytics: <path d="M2.5 8h1.5M5.5 5v6M8 3v10M10.5 5.5v5M13 7.5v1" strokeLinecap="round" />,
  // Quality Management: a star (supervisors score calls).
  quality_management: (
    <path d="M8 2.5l1.7 3.4 3.8.5-2.8 2.6.7 3.7L8 10.9l-3.4 1.8.7-3.7-2.8-2.6 3.8-.5z" strokeLinejoin="round" />
  ),
  // Call Tracking: a location pin.
  call_tracking: (
    <>
      <path d="M8 14s4.5-4.2 4.5-7.5a4.5 4.5 0 0 0-9 0C3.5 9.8 8 14 8 14z" strokeLinejoin="round" />
      <circle cx="8" cy="6.5" r="1.5" />
    </>
  ),
};

export function LicenseIcon({ app, name }: { app: string; name: string }) {
  const glyph = isAppKey(app) ? GLYPHS[app] : null;
  const label = isAppKey(app) && APPS[app].name !== name ? `${name} (${APPS[app].name})` : name;
  return (
    <span className={`license-icon license-icon--${app}`} title={label} role="img" aria-label={label}>
      {glyph ? (
        <svg viewBox="0 0 16 16" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth={1.5}>
          {glyph}
        </svg>
      ) : (
        <span aria-hidden="true">{name.slice(0, 1)}</span>
      )}
    </span>
  );
}

/** A user's licenses as a row of icons; "—" when there are none. */
export function LicenseIcons({ licenses }: { licenses: { app: string; name: string }[] }) {
  if (licenses.length === 0) return <span className="muted">—</span>;
  return (
    <span className="license-icons">
      {licenses.map((license) => (
        <LicenseIcon key={license.app} app={license.app} name={license.name} />
      ))}
    </span>
  );
}
