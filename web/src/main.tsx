// Entry point of the Roster console: data client, routes, and the gate that asks for sign-in or a new password first.
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ComponentType, lazy, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { ApiError } from './api.js';
import { Shell } from './components/layout.js';
import { Spinner } from './components/ui.js';
import { ChangePasswordPage, SignInPage } from './pages/auth.js';
import { ChoosePasswordPage, ForgotPasswordPage, VerifyEmailLinkPage, VerifyEmailRequiredPage } from './pages/links.js';
import { ProfilePage } from './pages/profile.js';
import { ConfigureOtpPage, SecondFactorPage, UpdateDetailsPage } from './pages/second-factor.js';
import { SESSION_KEY, useSession, useSessionQuery, useSignOut } from './session.js';
import './styles.css';

/** A page loaded when first opened (the admin pages), so signing in needs only the small first bundle. */
function lazyPage<M, K extends keyof M>(load: () => Promise<M>, name: K) {
  return lazy(async () => ({ default: (await load())[name] as ComponentType }));
}

const ApiKeysPage = lazyPage(() => import('./pages/api-keys.js'), 'ApiKeysPage');
const WebhooksPage = lazyPage(() => import('./pages/webhooks.js'), 'WebhooksPage');
const ApplicationsPage = lazyPage(() => import('./pages/applications.js'), 'ApplicationsPage');
const AuditPage = lazyPage(() => import('./pages/audit.js'), 'AuditPage');
const DirectoryConnectionPage = lazyPage(() => import('./pages/directory-sync.js'), 'DirectoryConnectionPage');
const DirectorySyncPage = lazyPage(() => import('./pages/directory-sync.js'), 'DirectorySyncPage');
const DepartmentsPage = lazyPage(() => import('./pages/departments.js'), 'DepartmentsPage');
const GroupPage = lazyPage(() => import('./pages/group-detail.js'), 'GroupPage');
const GroupsPage = lazyPage(() => import('./pages/groups.js'), 'GroupsPage');
const ImportPage = lazyPage(() => import('./pages/import.js'), 'ImportPage');
const LicensesPage = lazyPage(() => import('./pages/licenses.js'), 'LicensesPage');
const ProfilesPage = lazyPage(() => import('./pages/profiles.js'), 'ProfilesPage');
const OutboxPage = lazyPage(() => import('./pages/outbox.js'), 'OutboxPage');
const ScimTokensPage = lazyPage(() => import('./pages/scim-tokens.js'), 'ScimTokensPage');
const SecurityPage = lazyPage(() => import('./pages/security.js'), 'SecurityPage');
const UserCreatePage = lazyPage(() => import('./pages/user-create.js'), 'UserCreatePage');
const UserPage = lazyPage(() => import('./pages/user-detail.js'), 'UserPage');
const UsersPage = lazyPage(() => import('./pages/users.js'), 'UsersPage');

function onApiError(error: unknown) {
  if (!(error instanceof ApiError)) return;
  // A lapsed session or a newly required action: let the session query decide what to show.
  if (
    error.status === 401 ||
    error.code === 'PasswordChangeRequired' ||
    error.code === 'RequiredActionPending' ||
    error.code === 'SecondFactorRequired'
  ) {
    queryClient.invalidateQueries({ queryKey: SESSION_KEY });
  }
}

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: onApiError }),
  mutationCache: new MutationCache({ onError: onApiError }),
  defaultOptions: {
    queries: {
      retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

/** Pages that links in mails open, and "forgot password": they work with or without a session. */
const LINK_PAGES: Record<string, () => React.ReactNode> = {
  '/forgot-password': () => <ForgotPasswordPage />,
  '/set-password': () => <ChoosePasswordPage purpose="invitation" />,
  '/reset-password': () => <ChoosePasswordPage purpose="password_reset" />,
  '/verify-email': () => <VerifyEmailLinkPage />,
};

function Gate() {
  const { data: session, isPending, error } = useSessionQuery();
  const location = useLocation();
  const linkPage = LINK_PAGES[location.pathname];
  if (linkPage) return linkPage();
  if (isPending) {
    return (
      <div className="center-screen">
        <Spinner label="Loading Roster" />
      </div>
    );
  }
  if (error) {
    return (
      <div className="center-screen">
        <div className="auth-card">
          <h1 className="auth-card__title">Roster is unavailable</h1>
          <p>{error.message}</p>
          <button type="button" className="button button--primary" onClick={() => window.location.reload()}>
            Try again
          </button>
        </div>
      </div>
    );
  }
  if (!session) {
    if (location.pathname === '/sign-in') return <SignInPage />;
    const next = `${location.pathname}${location.search}`;
    const params = new URLSearchParams(location.search);
    const account = params.get('account');
    const query = new URLSearchParams();
    if (next !== '/') query.set('next', next);
    if (account) query.set('account', account);
    const search = query.toString();
    return <Navigate to={`/sign-in${search ? `?${search}` : ''}`} replace />;
  }
  if (session.secondFactor === 'otp') return <SecondFactorPage />;
  // Required actions, one page at a time, in the order the server gives them.
  switch (session.requiredActions[0]) {
    case 'update_password':
      return <ChangePasswordPage required />;
    case 'configure_otp':
      return <ConfigureOtpPage />;
    case 'update_profile':
      return <UpdateDetailsPage action="update_profile" />;
    case 'update_locale':
      return <UpdateDetailsPage action="update_locale" />;
    case 'verify_email':
      return <VerifyEmailGate />;
  }
  return (
    <Routes>
      <Route element={<Shell />}>
        <Route index element={<Home />} />
        <Route path="sign-in" element={<AfterSignIn />} />
        <Route
          path="users"
          element={
            <Admin>
              <UsersPage />
            </Admin>
          }
        />
        <Route
          path="users/new"
          element={
            <Admin>
              <UserCreatePage />
            </Admin>
          }
        />
        <Route
          path="users/:id"
          element={
            <Admin>
              <UserPage />
            </Admin>
          }
        />
        <Route
          path="groups"
          element={
            <Admin>
              <GroupsPage />
            </Admin>
          }
        />
        <Route
          path="groups/:id"
          element={
            <Admin>
              <GroupPage />
            </Admin>
          }
        />
        <Route
          path="departments"
          element={
            <Admin>
              <DepartmentsPage />
            </Admin>
          }
        />
        <Route
          path="import"
          element={
            <Admin>
              <ImportPage />
            </Admin>
          }
        />
        <Route
          path="licenses"
          element={
            <AccessAdmin>
              <LicensesPage />
            </AccessAdmin>
          }
        />
        <Route
          path="applications"
          element={
            <AccessAdmin>
              <ApplicationsPage />
            </AccessAdmin>
          }
        />
        <Route
          path="api-keys"
          element={
            <AccessAdmin>
              <ApiKeysPage />
            </AccessAdmin>
          }
        />
        <Route
          path="provisioning"
          element={
            <ProvisioningManager>
              <ScimTokensPage />
            </ProvisioningManager>
          }
        />
        <Route
          path="directory-sync"
          element={
            <DirectoryManager>
              <DirectorySyncPage />
            </DirectoryManager>
          }
        />
        <Route
          path="directory-sync/:id"
          element={
            <DirectoryManager>
              <DirectoryConnectionPage />
            </DirectoryManager>
          }
        />
        <Route
          path="audit"
          element={
            <AuditOnly>
              <AuditPage />
            </AuditOnly>
          }
        />
        <Route
          path="outbox"
          element={
            <SecurityManager>
              <OutboxPage />
            </SecurityManager>
          }
        />
        <Route
          path="webhooks"
          element={
            <SecurityManager>
              <WebhooksPage />
            </SecurityManager>
          }
        />
        <Route
          path="security"
          element={
            <SecurityManager>
              <SecurityPage />
            </SecurityManager>
          }
        />
        <Route
          path="profiles"
          element={
            <ProfilesReader>
              <ProfilesPage />
            </ProfilesReader>
          }
        />
        <Route path="profile" element={<ProfilePage />} />
        <Route path="profile/password" element={<ChangePasswordPage />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

function VerifyEmailGate() {
  const session = useSession();
  const signOut = useSignOut();
  return <VerifyEmailRequiredPage email={session.user.email} onSignOut={() => signOut()} />;
}

function Home() {
  const session = useSession();
  return <Navigate to={session.abilities.manageUsers ? '/users' : '/profile'} replace />;
}

/** Someone who is already signed in and lands on /sign-in goes where they were heading. */
function AfterSignIn() {
  const location = useLocation();
  const next = new URLSearchParams(location.search).get('next');
  return <Navigate to={next?.startsWith('/') && !next.startsWith('//') ? next : '/'} replace />;
}

function Admin({ children }: { children: React.ReactNode }) {
  const session = useSession();
  return session.abilities.manageUsers ? children : <Navigate to="/profile" replace />;
}

function AccessAdmin({ children }: { children: React.ReactNode }) {
  const session = useSession();
  return session.abilities.manageAccess ? children : <Navigate to="/" replace />;
}

function ProfilesReader({ children }: { children: React.ReactNode }) {
  const session = useSession();
  return session.abilities.readProfiles ? children : <Navigate to="/" replace />;
}

function AuditOnly({ children }: { children: React.ReactNode }) {
  const session = useSession();
  return session.abilities.readAudit ? children : <Navigate to="/" replace />;
}

function SecurityManager({ children }: { children: React.ReactNode }) {
  const session = useSession();
  return session.abilities.manageSecurity ? children : <Navigate to="/" replace />;
}

function ProvisioningManager({ children }: { children: React.ReactNode }) {
  const session = useSession();
  return session.abilities.manageProvisioning ? children : <Navigate to="/" replace />;
}

function DirectoryManager({ children }: { children: React.ReactNode }) {
  const session = useSession();
  return session.abilities.manageDirectories ? children : <Navigate to="/" replace />;
}

function NotFound() {
  return (
    <div className="page">
      <h1 className="page__title">Page not found</h1>
      <p className="muted">There is nothing at this address.</p>
    </div>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('The page has no #root element');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <Gate />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
