// The console's line icons: SVG shapes stroked in the text colour, drawn on one 20-unit grid (16 for the small ones).
import type { ReactNode } from 'react';

/** The frame every icon shares: no fill, the text colour, one stroke width its shapes inherit. */
function LineIcon({
  children,
  width,
  className = 'icon',
  grid = 20,
}: {
  children: ReactNode;
  width: number;
  className?: string;
  grid?: number;
}) {
  return (
    <svg
      className={className}
      viewBox={`0 0 ${grid} ${grid}`}
      aria-hidden="true"
      fill="none"
      stroke="currentColor"
      strokeWidth={width}
    >
      {children}
    </svg>
  );
}

export function UsersIcon() {
  return (
    <LineIcon width={1.6}>
      <circle cx="7.5" cy="6.5" r="3" />
      <path d="M2 16.5c0-3 2.5-5 5.5-5s5.5 2 5.5 5" />
      <circle cx="14" cy="7" r="2.4" />
      <path d="M14.5 11.6c2 .3 3.5 2 3.5 4.4" />
    </LineIcon>
  );
}

export function ImportIcon() {
  return (
    <LineIcon width={1.6}>
      <path d="M10 3v9m0 0-3.5-3.5M10 12l3.5-3.5" strokeLinecap="round" strokeLinejoin="round" />
      <path d="M3.5 12.5v2.5a2 2 0 0 0 2 2h9a2 2 0 0 0 2-2v-2.5" strokeLinecap="round" />
    </LineIcon>
  );
}

export function AuditIcon() {
  return (
    <LineIcon width={1.6}>
      <rect x="4" y="2.5" width="12" height="15" rx="2" />
      <path d="M7 7h6M7 10h6M7 13h4" strokeLinecap="round" />
    </LineIcon>
  );
}

export function ProfilesIcon() {
  return (
    <LineIcon width={1.6}>
      <rect x="2.5" y="4" width="15" height="12" rx="2" />
      <circle cx="7.5" cy="9" r="1.8" strokeWidth="1.5" />
      <path
        d="M4.8 13.2c.5-1.3 1.5-2 2.7-2s2.2.7 2.7 2M11.5 8.5h3.5M11.5 11.5h3.5"
        strokeWidth="1.5"
        strokeLinecap="round"
      />
    </LineIcon>
  );
}

export function ProfileIcon() {
  return (
    <LineIcon width={1.6}>
      <circle cx="10" cy="7" r="3.2" />
      <path d="M3.5 17c.6-3.2 3.3-5 6.5-5s5.9 1.8 6.5 5" />
    </LineIcon>
  );
}

export function DocsIcon() {
  return (
    <LineIcon width={1.6}>
      <path d="M6 6l-3.5 4L6 14M14 6l3.5 4L14 14M11.5 4l-3 12" strokeLinecap="round" strokeLinejoin="round" />
    </LineIcon>
  );
}

export function ExternalIcon() {
  return (
    <LineIcon width={1.5} grid={16} className="icon icon--small nav-link__external">
      <path d="M6 3H3v10h10v-3M9 3h4v4M13 3L7.5 8.5" strokeLinecap="round" strokeLinejoin="round" />
    </LineIcon>
  );
}

export function LicensesIcon() {
  return (
    <LineIcon width={1.8}>
      <path d="M3 16.5V10M8 16.5V5M13 16.5V8M17.5 16.5h-15" strokeLinecap="round" />
    </LineIcon>
  );
}

export function RolesIcon() {
  return (
    <LineIcon width={1.6}>
      <path d="M10 2.5l6 2.5v4.5c0 4-2.6 6.6-6 8-3.4-1.4-6-4-6-8V5z" strokeLinejoin="round" />
      <path d="M7.3 10l2 2 3.5-3.8" strokeLinecap="round" strokeLinejoin="round" />
    </LineIcon>
  );
}

export function KeyIcon() {
  return (
    <LineIcon width={1.6}>
      <circle cx="6.5" cy="13.5" r="3.5" />
      <path d="M9 11l7.5-7.5M14 6l2 2M12 8l1.5 1.5" strokeLinecap="round" />
    </LineIcon>
  );
}

/** Provisioning: two arrows going round, the identity provider keeping Roster in step. */
export function ProvisioningIcon() {
  return (
    <LineIcon width={1.6}>
      <path d="M4 9a6 6 0 0 1 10.5-3.5L16 7M16 3.5V7h-3.5" strokeLinecap="round" strokeLinejoin="round" />
      <path d="M16 11a6 6 0 0 1-10.5 3.5L4 13M4 16.5V13h3.5" strokeLinecap="round" strokeLinejoin="round" />
    </LineIcon>
  );
}

/** A directory server (a stack of disks) with the arrow of a sync. */
export function DirectoryIcon() {
  return (
    <LineIcon width={1.6}>
      <ellipse cx="8.5" cy="4.5" rx="5.5" ry="2" />
      <path d="M3 4.5v9c0 1.1 2.5 2 5.5 2M14 4.5V9" />
      <path d="M3 9c0 1.1 2.5 2 5.5 2" />
      <path d="M12 14.5a3.5 3.5 0 0 1 6-1.5M18 11.5V13h-1.5" strokeLinecap="round" strokeLinejoin="round" />
    </LineIcon>
  );
}

export function GroupsIcon() {
  return (
    <LineIcon width={1.6}>
      <rect x="7" y="2.5" width="6" height="4" rx="1" />
      <rect x="2" y="13.5" width="6" height="4" rx="1" />
      <rect x="12" y="13.5" width="6" height="4" rx="1" />
      <path d="M10 6.5v3.5M5 13.5V10h10v3.5" />
    </LineIcon>
  );
}

export function DepartmentsIcon() {
  return (
    <LineIcon width={1.6}>
      <path d="M3 17.5V5l7-2.5 7 2.5v12.5" strokeLinejoin="round" />
      <path d="M7 8h2M11 8h2M7 11.5h2M11 11.5h2M8.5 17.5v-3h3v3" />
    </LineIcon>
  );
}

export function SearchIcon() {
  return (
    <LineIcon width={1.8} className="icon search__icon">
      <circle cx="8.5" cy="8.5" r="5.5" />
      <path d="M13 13l4 4" strokeLinecap="round" />
    </LineIcon>
  );
}

export function FilterIcon() {
  return (
    <LineIcon width={1.8}>
      <path d="M3 5h14M6 10h8M8.5 15h3" strokeLinecap="round" />
    </LineIcon>
  );
}

export function DownloadIcon() {
  return (
    <LineIcon width={1.8}>
      <path d="M10 3v9m0 0l-3.5-3.5M10 12l3.5-3.5M4 15.5h12" strokeLinecap="round" strokeLinejoin="round" />
    </LineIcon>
  );
}

export function PlusIcon() {
  return (
    <LineIcon width={2}>
      <path d="M10 4v12M4 10h12" strokeLinecap="round" />
    </LineIcon>
  );
}

export function TrashIcon() {
  return (
    <LineIcon width={1.6}>
      <path d="M4 6h12M8 6V4h4v2M6 6l.8 10h6.4L14 6" strokeLinecap="round" strokeLinejoin="round" />
    </LineIcon>
  );
}

export function UploadIcon() {
  return (
    <LineIcon width={1.6} grid={24} className="dropzone__icon">
      <path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5" strokeLinecap="round" strokeLinejoin="round" />
      <path d="M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" strokeLinecap="round" />
      <path d="M14.5 11.6c2 .3 3.5 2 3.5 4.4" />
    </LineIcon>
  );
}

export function LockIcon() {
  return (
    <LineIcon width={1.6}>
      <rect x="4" y="8.5" width="12" height="9" rx="2" />
      <path d="M6.8 8.5V6.2a3.2 3.2 0 016.4 0v2.3M10 12v2.2" strokeLinecap="round" />
    </LineIcon>
  );
}

/** Webhooks: a signal going out from a point. */
export function WebhookIcon() {
  return (
    <LineIcon width={1.6}>
      <circle cx="5.5" cy="14.5" r="2" />
      <path d="M5.5 12.5V11a5.5 5.5 0 015.5-5.5h4" strokeLinecap="round" />
      <path d="M12.5 3l2.5 2.5-2.5 2.5" strokeLinecap="round" strokeLinejoin="round" />
      <path d="M10 14.5h5.5M13 12l2.5 2.5-2.5 2.5" strokeLinecap="round" strokeLinejoin="round" />
    </LineIcon>
  );
}

export function MailIcon() {
  return (
    <LineIcon width={1.6}>
      <rect x="2.5" y="4.5" width="15" height="11" rx="2" />
      <path d="M3 5.5l7 5.5 7-5.5" strokeLinecap="round" strokeLinejoin="round" />
    </LineIcon>
  );
}
