// "My profile": what every signed-in person sees about themselves, admins and agents alike.
import { Link } from 'react-router';
import { ACCESS_TYPE_LABELS, AUTH_METHOD_LABELS } from '../../../shared/constants.js';
import { Avatar, Badge, formatDate, formatDateTime } from '../components/ui.js';
import { LANGUAGE_OPTIONS } from '../forms.js';
import { useSession } from '../session.js';
import { MyDetailsSection, MyOtpSection, MySessionsSection } from './profile-security.js';

export function ProfilePage() {
  const { user, account } = useSession();
  const language = LANGUAGE_OPTIONS.find((option) => option.value === (user.language ?? ''))?.label ?? user.language;
  const rows: [string, string | null][] = [
    ['Username', user.username],
    ['First name', user.firstName],
    ['Last name', user.lastName],
    ['Email', user.email ? `${user.email}${user.emailVerified ? ' (verified)' : ''}` : null],
    ['Number', user.phone],
    ['Department', user.department],
    ['Nicknames', user.nicknames.join(', ')],
    ['Access type', ACCESS_TYPE_LABELS[user.accessType] ?? user.accessType],
    ['Authentication', AUTH_METHOD_LABELS[user.authMethod] ?? user.authMethod],
    ['Time zone', user.timeZone || 'Account default'],
    ['Language', language || 'Default (English)'],
    ['Account', account.name],
    ['Valid from', user.validFrom ? formatDate(user.validFrom) : null],
    ['Expires', user.expiresAt ? formatDate(user.expiresAt) : null],
    ['Last sign-in', user.lastSignInAt ? formatDateTime(user.lastSignInAt) : null],
    ['Licenses', user.licenses.map((license) => license.name).join(', ')],
  ];
  return (
    <div className="page page--narrow">
      <div className="page__header">
        <div className="user-heading">
          <Avatar user={user} size="lg" />
          <div>
            <h1 className="page__title">My profile</h1>
            <div className="user-heading__meta">
              <span>{user.displayName || user.username}</span>
              {user.isOwner ? <Badge tone="accent">Owner</Badge> : null}
            </div>
          </div>
        </div>
        {user.authMethod === 'password' ? (
          <div className="page__actions">
            <Link className="button button--secondary" to="/profile/password">
              Change password
            </Link>
          </div>
        ) : null}
      </div>
      <section className="card card--padded" aria-label="Your details">
        <dl className="review">
          {rows.map(([label, value]) => (
            <div className="review__row" key={label}>
              <dt>{label}</dt>
              <dd>{value || <span className="muted">—</span>}</dd>
            </div>
          ))}
        </dl>
      </section>
      <p className="muted small">To change your email or access, ask an administrator of {account.name}.</p>
      <MyDetailsSection />
      {user.authMethod === 'password' ? <MyOtpSection /> : null}
      <MySessionsSection />
    </div>
  );
}
