// The signed-in frame: sidebar with the product's sections, top bar with the user and Sign out.
import { Suspense, useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useSession, useSignOut } from '../session.js';
import { Avatar, Spinner } from './ui.js';

export function Shell() {
  const session = useSession();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const [navOpen, setNavOpen] = useState(false);
  const { user, account, abilities } = session;

  return (
    <div className={`shell${navOpen ? ' shell--nav-open' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar" aria-label="Sidebar">
        <div className="sidebar__brand">
          <span className="brand-mark" aria-hidden="true">
            R
          </span>
          <span className="brand-name">Roster</span>
        </div>
        <nav className="sidebar__nav" aria-label="Main">
          {abilities.manageUsers ? (
            <NavLink to="/users" className="nav-link" onClick={() => setNavOpen(false)}>
              <UsersIcon /> Users
            </NavLink>
          ) : null}
          {abilities.manageUsers ? (
            <>
              <NavLink to="/groups" className="nav-link" onClick={() => setNavOpen(false)}>
                <GroupsIcon /> Groups
              </NavLink>
              <NavLink to="/departments" className="nav-link" onClick={() => setNavOpen(false)}>
                <DepartmentsIcon /> Departments
              </NavLink>
            </>
          ) : null}
          {abilities.importUsers ? (
            <NavLink to="/import" className="nav-link" onClick={() => setNavOpen(false)}>
              <ImportIcon /> Import users
            </NavLink>
          ) : null}
          {abilities.readProfiles ? (
            <NavLink to="/profiles" className="nav-link" onClick={() => setNavOpen(false)}>
              <ProfilesIcon /> Profiles
            </NavLink>
          ) : null}
          {abilities.manageAccess ? (
            <>
              <NavLink to="/licenses" className="nav-link" onClick={() => setNavOpen(false)}>
                <LicensesIcon /> Licenses
              </NavLink>
              <NavLink to="/applications" className="nav-link" onClick={() => setNavOpen(false)}>
                <RolesIcon /> Applications &amp; roles
              </NavLink>
              <NavLink to="/api-keys" className="nav-link" onClick={() => setNavOpen(false)}>
                <KeyIcon /> Application keys
              </NavLink>
            </>
          ) : null}
          {abilities.readAudit ? (
            <NavLink to="/audit" className="nav-link" onClick={() => setNavOpen(false)}>
              <AuditIcon /> Audit log
            </NavLink>
          ) : null}
          <NavLink to="/profile" className="nav-link" onClick={() => setNavOpen(false)}>
            <ProfileIcon /> My profile
          </NavLink>
        </nav>
        <div className="sidebar__footer">
          <a className="nav-link" href="/api/docs" target="_blank" rel="noreferrer">
            <DocsIcon /> API docs
            <span className="visually-hidden"> (opens in a new tab)</span>
            <ExternalIcon />
          </a>
          <div className="sidebar__account" title={account.slug}>
            <span className="sidebar__account-label">Account</span>
            <span className="sidebar__account-name">{account.name}</span>
          </div>
        </div>
      </aside>
      {navOpen ? (
        <button
          type="button"
          className="nav-backdrop"
          aria-label="Close navigation"
          onClick={() => setNavOpen(false)}
        />
      ) : null}
      <div className="main-column">
        <header className="topbar">
          <button
            type="button"
            className="button button--ghost topbar__menu"
            aria-label="Toggle navigation"
            aria-expanded={navOpen}
            onClick={() => setNavOpen((open) => !open)}
          >
            ☰
          </button>
          <div className="topbar__spacer" />
          <div className="topbar__user" data-testid="signed-in-user">
            <Avatar user={user} size="sm" />
            <div className="topbar__user-text">
              <span className="topbar__user-name">{user.displayName || user.username}</span>
              <span className="topbar__user-sub">{user.username}</span>
            </div>
          </div>
          <button
            type="button"
            className="button button--secondary"
            onClick={async () => {
              await signOut();
              navigate('/sign-in');
            }}
          >
            Sign out
          </button>
        </header>
        <main className="content" id="main">
          <Suspense fallback={<Spinner label="Loading" />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  );
}

function UsersIcon() {
  return (
    <svg className="icon" viewBox="0 0 20 20" aria-hidden="true">
      <circle cx="7.5" cy="6.5" r="3" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <path d="M2 16.5c0-3 2.5-5 5.5-5s5.5 2 5.5 5" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <circle cx="14" cy="7" r="2.4" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <path d="M14.5 11.6c2 .3 3.5 2 3.5 4.4" fill="none" stroke="currentColor" strokeWidth="1.6" />
    </svg>
  );
}

function ImportIcon() {
  return (
    <svg className="icon" viewBox="0 0 20 20" aria-hidden="true">
      <path
        d="M10 3v9m0 0-3.5-3.5M10 12l3.5-3.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
      <path
        d="M3.5 12.5v2.5a2 2 0 0 0 2 2h9a2 2 0 0 0 2-2v-2.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
        strokeLinecap="round"
      />
    </svg>
  );
}

function AuditIcon() {
  return (
    <svg className="icon" viewBox="0 0 20 20" aria-hidden="true">
      <rect x="4" y="2.5" width="12" height="15" rx="2" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <path d="M7 7h6M7 10h6M7 13h4" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
    </svg>
  );
}

function ProfilesIcon() {
  return (
    <svg className="icon" viewBox="0 0 20 20" aria-hidden="true">
      <rect x="2.5" y="4" width="15" height="12" rx="2" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <circle cx="7.5" cy="9" r="1.8" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <path
        d="M4.8 13.2c.5-1.3 1.5-2 2.7-2s2.2.7 2.7 2M11.5 8.5h3.5M11.5 11.5h3.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.5"
        strokeLinecap="round"
      />
    </svg>
  );
}

function ProfileIcon() {
  return (
    <svg className="icon" viewBox="0 0 20 20" aria-hidden="true">
      <circle cx="10" cy="7" r="3.2" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <path d="M3.5 17c.6-3.2 3.3-5 6.5-5s5.9 1.8 6.5 5" fill="none" stroke="currentColor" strokeWidth="1.6" />
    </svg>
  );
}

function DocsIcon() {
  return (
    <svg className="icon" viewBox="0 0 20 20" aria-hidden="true">
      <path
        d="M6 6l-3.5 4L6 14M14 6l3.5 4L14 14M11.5 4l-3 12"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}

function ExternalIcon() {
  return (
    <svg className="icon icon--small nav-link__external" viewBox="0 0 16 16" aria-hidden="true">
      <path
        d="M6 3H3v10h10v-3M9 3h4v4M13 3L7.5 8.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.5"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}

function LicensesIcon() {
  return (
    <svg className="icon" viewBox="0 0 20 20" aria-hidden="true">
      <path
        d="M3 16.5V10M8 16.5V5M13 16.5V8M17.5 16.5h-15"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinecap="round"
      />
    </svg>
  );
}

function RolesIcon() {
  return (
    <svg className="icon" viewBox="0 0 20 20" aria-hidden="true">
      <path
        d="M10 2.5l6 2.5v4.5c0 4-2.6 6.6-6 8-3.4-1.4-6-4-6-8V5z"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
        strokeLinejoin="round"
      />
      <path
        d="M7.3 10l2 2 3.5-3.8"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}

function KeyIcon() {
  return (
    <svg className="icon" viewBox="0 0 20 20" aria-hidden="true">
      <circle cx="6.5" cy="13.5" r="3.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <path
        d="M9 11l7.5-7.5M14 6l2 2M12 8l1.5 1.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
        strokeLinecap="round"
      />
    </svg>
  );
}

function GroupsIcon() {
  return (
    <svg className="icon" viewBox="0 0 20 20" aria-hidden="true">
      <rect x="7" y="2.5" width="6" height="4" rx="1" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <rect x="2" y="13.5" width="6" height="4" rx="1" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <rect x="12" y="13.5" width="6" height="4" rx="1" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <path d="M10 6.5v3.5M5 13.5V10h10v3.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
    </svg>
  );
}

function DepartmentsIcon() {
  return (
    <svg className="icon" viewBox="0 0 20 20" aria-hidden="true">
      <path d="M3 17.5V5l7-2.5 7 2.5v12.5" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round" />
      <path d="M7 8h2M11 8h2M7 11.5h2M11 11.5h2M8.5 17.5v-3h3v3" fill="none" stroke="currentColor" strokeWidth="1.6" />
    </svg>
  );
}
