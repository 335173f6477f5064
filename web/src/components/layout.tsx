// The signed-in frame: sidebar with the product's sections, top bar with the user and Sign out.

import { Suspense, useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useSession, useSignOut } from '../session.js';
import {
  AuditIcon,
  DepartmentsIcon,
  DirectoryIcon,
  DocsIcon,
  ExternalIcon,
  GroupsIcon,
  ImportIcon,
  KeyIcon,
  LicensesIcon,
  LockIcon,
  MailIcon,
  ProfileIcon,
  ProfilesIcon,
  ProvisioningIcon,
  RolesIcon,
  UsersIcon,
  WebhookIcon,
} from './icons.js';
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
          {abilities.manageProvisioning ? (
            <NavLink to="/provisioning" className="nav-link" onClick={() => setNavOpen(false)}>
              <ProvisioningIcon /> Provisioning (SCIM)
            </NavLink>
          ) : null}
          {abilities.manageDirectories ? (
            <NavLink to="/directory-sync" className="nav-link" onClick={() => setNavOpen(false)}>
              <DirectoryIcon /> Directory sync
            </NavLink>
          ) : null}
          {abilities.manageSecurity ? (
            <NavLink to="/security" className="nav-link" onClick={() => setNavOpen(false)}>
              <LockIcon /> Sign-in security
            </NavLink>
          ) : null}
          {abilities.manageSecurity ? (
            <NavLink to="/outbox" className="nav-link" onClick={() => setNavOpen(false)}>
              <MailIcon /> Outbox
            </NavLink>
          ) : null}
          {abilities.manageSecurity ? (
            <NavLink to="/webhooks" className="nav-link" onClick={() => setNavOpen(false)}>
              <WebhookIcon /> Webhooks
            </NavLink>
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
