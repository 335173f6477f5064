// Sign-in security of the account: each section (password policy, mail, single sign-on, second factor) lives in
// its own file under pages/security/.
import { IdentityProvidersSection } from './security/identity-providers.js';
import { MailSettingsSection } from './security/mail-settings.js';
import { PasswordPolicySection } from './security/password-policy.js';
import { SecondFactorSection } from './security/second-factor.js';

export function SecurityPage() {
  return (
    <div className="page page--narrow">
      <div className="page__header">
        <div>
          <h1 className="page__title">Sign-in security</h1>
          <p className="muted">How the people of this account sign in, and how Roster writes to them.</p>
        </div>
      </div>
      <div className="form-stack">
        {/* sections */}
        <PasswordPolicySection />
        <MailSettingsSection />
        <SecondFactorSection />
        <IdentityProvidersSection />
      </div>
    </div>
  );
}
