// The mails Roster writes, in English and in the user's language where a translation exists, as plain text and HTML.
export const MAIL_KINDS = [
  'invitation',
  'invitation_sso',
  'password_reset',
  'verify_email',
  'password_changed',
  'email_changed',
  'second_factor_changed',
  'test',
  'webhook_disabled',
] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

export const MAIL_LANGUAGES = ['en', 'es', 'pt', 'it', 'de'] as const;
type MailLanguage = (typeof MAIL_LANGUAGES)[number];

export interface MailValues {
  /** How the mail greets the person: their first name, or their username. */
  name: string;
  account: string;
  link?: string;
  /** How long the link works, in hours. */
  hours?: number;
}

interface Template {
  subject: string;
  /** Paragraphs; {name}, {account}, {hours} are filled in. */
  lines: string[];
  /** The label of the button or link, when the mail carries one. */
  action?: string;
  /** The last line, after the link. */
  after?: string;
}

type Catalog = Record<MailKind, Template>;

const en: Catalog = {
  invitation: {
    subject: 'You are invited to {account}',
    lines: ['Hello {name},', 'An administrator of {account} has created your user. Choose your password to sign in.'],
    action: 'Choose your password',
    after: 'This link works once and expires in {hours} hours. If you did not expect this mail, you can ignore it.',
  },
  invitation_sso: {
    subject: 'You are invited to {account}',
    lines: [
      'Hello {name},',
      'An administrator of {account} has created your user. You sign in with your organization’s single sign-on.',
    ],
    action: 'Sign in',
  },
  password_reset: {
    subject: 'Reset your password for {account}',
    lines: ['Hello {name},', 'Someone asked to reset your password. If it was you, choose a new one.'],
    action: 'Choose a new password',
    after:
      'This link works once and expires in {hours} hours. If you did not ask for it, ignore this mail: your password stays as it is.',
  },
  verify_email: {
    subject: 'Confirm your email address for {account}',
    lines: ['Hello {name},', 'Confirm that this is your email address.'],
    action: 'Confirm my email address',
    after: 'This link works once and expires in {hours} hours.',
  },
  password_changed: {
    subject: 'Your password for {account} was changed',
    lines: [
      'Hello {name},',
      'Your password was just changed. If you did not do it, contact an administrator of {account} at once.',
    ],
  },
  email_changed: {
    subject: 'Your email address for {account} was changed',
    lines: [
      'Hello {name},',
      'The email address of your user was just changed. If you did not expect it, contact an administrator of {account} at once.',
    ],
  },
  second_factor_changed: {
    subject: 'Your one-time code settings for {account} changed',
    lines: [
      'Hello {name},',
      'The one-time code (second factor) of your user was just set up, replaced or removed. If you did not do it, contact an administrator of {account} at once.',
    ],
  },
  test: {
    subject: 'Test mail from Roster for {account}',
    lines: ['Hello {name},', 'This is a test: mail from Roster reaches you.'],
  },
  webhook_disabled: {
    subject: 'A webhook endpoint of {account} was turned off',
    lines: [
      'Hello {name},',
      'Roster turned off a webhook endpoint of {account}: it answered 410 Gone, or every delivery to it failed for three days. The applications behind it no longer learn of changes.',
      'Open Webhooks in the console to see its deliveries, fix the endpoint and turn it on again: the deliveries that wait are then sent.',
    ],
  },
};

const es: Catalog = {
  invitation: {
    subject: 'Invitación a {account}',
    lines: ['Hola {name}:', 'Un administrador de {account} ha creado su usuario. Elija su contraseña para entrar.'],
    action: 'Elegir mi contraseña',
    after: 'Este enlace sirve una sola vez y caduca en {hours} horas. Si no esperaba este correo, puede ignorarlo.',
  },
  invitation_sso: {
    subject: 'Invitación a {account}',
    lines: [
      'Hola {name}:',
      'Un administrador de {account} ha creado su usuario. Entrará con el inicio de sesión único de su organización.',
    ],
    action: 'Iniciar sesión',
  },
  password_reset: {
    subject: 'Restablecer su contraseña de {account}',
    lines: ['Hola {name}:', 'Alguien ha pedido restablecer su contraseña. Si fue usted, elija una nueva.'],
    action: 'Elegir una nueva contraseña',
    after:
      'Este enlace sirve una sola vez y caduca en {hours} horas. Si no lo pidió, ignore este correo: su contraseña no cambia.',
  },
  verify_email: {
    subject: 'Confirme su dirección de correo para {account}',
    lines: ['Hola {name}:', 'Confirme que esta es su dirección de correo.'],
    action: 'Confirmar mi correo',
    after: 'Este enlace sirve una sola vez y caduca en {hours} horas.',
  },
  password_changed: {
    subject: 'Su contraseña de {account} ha cambiado',
    lines: [
      'Hola {name}:',
      'Su contraseña acaba de cambiar. Si no fue usted, avise enseguida a un administrador de {account}.',
    ],
  },
  email_changed: {
    subject: 'Su dirección de correo de {account} ha cambiado',
    lines: [
      'Hola {name}:',
      'La dirección de correo de su usuario acaba de cambiar. Si no lo esperaba, avise enseguida a un administrador de {account}.',
    ],
  },
  second_factor_changed: {
    subject: 'Su código de un solo uso de {account} ha cambiado',
    lines: [
      'Hola {name}:',
      'El código de un solo uso (segundo factor) de su usuario se acaba de configurar, sustituir o quitar. Si no fue usted, avise enseguida a un administrador de {account}.',
    ],
  },
  test: {
    subject: 'Correo de prueba de Roster para {account}',
    lines: ['Hola {name}:', 'Esto es una prueba: el correo de Roster le llega.'],
  },
  webhook_disabled: {
    subject: 'Se ha desactivado un webhook de {account}',
    lines: [
      'Hola {name}:',
      'Roster ha desactivado un punto de entrega de webhooks de {account}: respondió 410 Gone, o todas las entregas fallaron durante tres días. Las aplicaciones que dependen de él ya no reciben los cambios.',
      'Abra Webhooks en la consola para ver sus entregas, corrija el punto de entrega y vuelva a activarlo: entonces se envían las entregas pendientes.',
    ],
  },
};

const pt: Catalog = {
  invitation: {
    subject: 'Convite para {account}',
    lines: [
      'Olá {name},',
      'Um administrador de {account} criou o seu utilizador. Escolha a sua palavra-passe para entrar.',
    ],
    action: 'Escolher a minha palavra-passe',
    after: 'Esta ligação só funciona uma vez e expira em {hours} horas. Se não esperava este e-mail, pode ignorá-lo.',
  },
  invitation_sso: {
    subject: 'Convite para {account}',
    lines: [
      'Olá {name},',
      'Um administrador de {account} criou o seu utilizador. Entra com o início de sessão único da sua organização.',
    ],
    action: 'Entrar',
  },
  password_reset: {
    subject: 'Redefinir a sua palavra-passe de {account}',
    lines: ['Olá {name},', 'Alguém pediu para redefinir a sua palavra-passe. Se foi você, escolha uma nova.'],
    action: 'Escolher uma nova palavra-passe',
    after:
      'Esta ligação só funciona uma vez e expira em {hours} horas. Se não a pediu, ignore este e-mail: a sua palavra-passe não muda.',
  },
  verify_email: {
    subject: 'Confirme o seu endereço de e-mail para {account}',
    lines: ['Olá {name},', 'Confirme que este é o seu endereço de e-mail.'],
    action: 'Confirmar o meu e-mail',
    after: 'Esta ligação só funciona uma vez e expira em {hours} horas.',
  },
  password_changed: {
    subject: 'A sua palavra-passe de {account} foi alterada',
    lines: [
      'Olá {name},',
      'A sua palavra-passe acabou de ser alterada. Se não foi você, contacte já um administrador de {account}.',
    ],
  },
  email_changed: {
    subject: 'O seu endereço de e-mail de {account} foi alterado',
    lines: [
      'Olá {name},',
      'O endereço de e-mail do seu utilizador acabou de ser alterado. Se não o esperava, contacte já um administrador de {account}.',
    ],
  },
  second_factor_changed: {
    subject: 'O seu código de utilização única de {account} mudou',
    lines: [
      'Olá {name},',
      'O código de utilização única (segundo fator) do seu utilizador acabou de ser configurado, substituído ou removido. Se não foi você, contacte já um administrador de {account}.',
    ],
  },
  test: {
    subject: 'E-mail de teste do Roster para {account}',
    lines: ['Olá {name},', 'Isto é um teste: o e-mail do Roster chega até si.'],
  },
  webhook_disabled: {
    subject: 'Um webhook de {account} foi desativado',
    lines: [
      'Olá {name},',
      'O Roster desativou um destino de webhooks de {account}: respondeu 410 Gone, ou todas as entregas falharam durante três dias. As aplicações que dependem dele deixaram de receber as alterações.',
      'Abra Webhooks na consola para ver as entregas, corrija o destino e volte a ativá-lo: as entregas pendentes são então enviadas.',
    ],
  },
};

const it: Catalog = {
  invitation: {
    subject: 'Invito a {account}',
    lines: [
      'Ciao {name},',
      'Un amministratore di {account} ha creato il tuo utente. Scegli la tua password per accedere.',
    ],
    action: 'Scegli la password',
    after:
      'Questo link funziona una sola volta e scade tra {hours} ore. Se non ti aspettavi questa email, puoi ignorarla.',
  },
  invitation_sso: {
    subject: 'Invito a {account}',
    lines: [
      'Ciao {name},',
      'Un amministratore di {account} ha creato il tuo utente. Accedi con il single sign-on della tua organizzazione.',
    ],
    action: 'Accedi',
  },
  password_reset: {
    subject: 'Reimposta la password di {account}',
    lines: ['Ciao {name},', 'Qualcuno ha chiesto di reimpostare la tua password. Se sei stato tu, scegline una nuova.'],
    action: 'Scegli una nuova password',
    after:
      'Questo link funziona una sola volta e scade tra {hours} ore. Se non l’hai chiesto, ignora questa email: la password resta invariata.',
  },
  verify_email: {
    subject: 'Conferma il tuo indirizzo email per {account}',
    lines: ['Ciao {name},', 'Conferma che questo è il tuo indirizzo email.'],
    action: 'Conferma il mio indirizzo',
    after: 'Questo link funziona una sola volta e scade tra {hours} ore.',
  },
  password_changed: {
    subject: 'La tua password di {account} è stata cambiata',
    lines: [
      'Ciao {name},',
      'La tua password è appena stata cambiata. Se non sei stato tu, contatta subito un amministratore di {account}.',
    ],
  },
  email_changed: {
    subject: 'Il tuo indirizzo email di {account} è stato cambiato',
    lines: [
      'Ciao {name},',
      'L’indirizzo email del tuo utente è appena stato cambiato. Se non te lo aspettavi, contatta subito un amministratore di {account}.',
    ],
  },
  second_factor_changed: {
    subject: 'Il tuo codice monouso di {account} è cambiato',
    lines: [
      'Ciao {name},',
      'Il codice monouso (secondo fattore) del tuo utente è appena stato configurato, sostituito o rimosso. Se non sei stato tu, contatta subito un amministratore di {account}.',
    ],
  },
  test: {
    subject: 'Email di prova di Roster per {account}',
    lines: ['Ciao {name},', 'Questa è una prova: le email di Roster ti arrivano.'],
  },
  webhook_disabled: {
    subject: 'Un webhook di {account} è stato disattivato',
    lines: [
      'Ciao {name},',
      'Roster ha disattivato un endpoint webhook di {account}: ha risposto 410 Gone, oppure tutte le consegne sono fallite per tre giorni. Le applicazioni collegate non ricevono più le modifiche.',
      'Apri Webhook nella console per vedere le consegne, correggi l’endpoint e riattivalo: le consegne in attesa verranno inviate.',
    ],
  },
};

const de: Catalog = {
  invitation: {
    subject: 'Einladung zu {account}',
    lines: [
      'Hallo {name},',
      'ein Administrator von {account} hat Ihren Benutzer angelegt. Wählen Sie Ihr Passwort, um sich anzumelden.',
    ],
    action: 'Passwort wählen',
    after:
      'Dieser Link funktioniert einmal und läuft in {hours} Stunden ab. Wenn Sie diese E-Mail nicht erwartet haben, können Sie sie ignorieren.',
  },
  invitation_sso: {
    subject: 'Einladung zu {account}',
    lines: [
      'Hallo {name},',
      'ein Administrator von {account} hat Ihren Benutzer angelegt. Sie melden sich über das Single Sign-on Ihrer Organisation an.',
    ],
    action: 'Anmelden',
  },
  password_reset: {
    subject: 'Passwort für {account} zurücksetzen',
    lines: [
      'Hallo {name},',
      'jemand hat das Zurücksetzen Ihres Passworts angefordert. Wenn Sie es waren, wählen Sie ein neues.',
    ],
    action: 'Neues Passwort wählen',
    after:
      'Dieser Link funktioniert einmal und läuft in {hours} Stunden ab. Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ihr Passwort bleibt, wie es ist.',
  },
  verify_email: {
    subject: 'Bestätigen Sie Ihre E-Mail-Adresse für {account}',
    lines: ['Hallo {name},', 'bitte bestätigen Sie, dass dies Ihre E-Mail-Adresse ist.'],
    action: 'E-Mail-Adresse bestätigen',
    after: 'Dieser Link funktioniert einmal und läuft in {hours} Stunden ab.',
  },
  password_changed: {
    subject: 'Ihr Passwort für {account} wurde geändert',
    lines: [
      'Hallo {name},',
      'Ihr Passwort wurde soeben geändert. Wenn Sie das nicht waren, wenden Sie sich sofort an einen Administrator von {account}.',
    ],
  },
  email_changed: {
    subject: 'Ihre E-Mail-Adresse für {account} wurde geändert',
    lines: [
      'Hallo {name},',
      'die E-Mail-Adresse Ihres Benutzers wurde soeben geändert. Wenn Sie das nicht erwartet haben, wenden Sie sich sofort an einen Administrator von {account}.',
    ],
  },
  second_factor_changed: {
    subject: 'Ihr Einmalcode für {account} wurde geändert',
    lines: [
      'Hallo {name},',
      'der Einmalcode (zweiter Faktor) Ihres Benutzers wurde soeben eingerichtet, ersetzt oder entfernt. Wenn Sie das nicht waren, wenden Sie sich sofort an einen Administrator von {account}.',
    ],
  },
  test: {
    subject: 'Testmail von Roster für {account}',
    lines: ['Hallo {name},', 'dies ist ein Test: E-Mails von Roster erreichen Sie.'],
  },
  webhook_disabled: {
    subject: 'Ein Webhook von {account} wurde ausgeschaltet',
    lines: [
      'Hallo {name},',
      'Roster hat einen Webhook-Endpunkt von {account} ausgeschaltet: Er hat 410 Gone geantwortet, oder alle Zustellungen sind drei Tage lang fehlgeschlagen. Die Anwendungen dahinter erfahren keine Änderungen mehr.',
      'Öffnen Sie Webhooks in der Konsole, um die Zustellungen zu sehen, beheben Sie den Fehler und schalten Sie den Endpunkt wieder ein: Die wartenden Zustellungen werden dann gesendet.',
    ],
  },
};

const CATALOGS: Record<MailLanguage, Catalog> = { en, es, pt, it, de };

/** The language a mail is written in: the user's (pt-BR is written in pt), else English. */
export function mailLanguage(userLanguage: string | null | undefined): MailLanguage {
  const base = (userLanguage ?? '').toLowerCase().split(/[-_]/)[0] ?? '';
  return (MAIL_LANGUAGES as readonly string[]).includes(base) ? (base as MailLanguage) : 'en';
}

const fill = (text: string, values: MailValues) =>
  text.replace(/\{(name|account|hours)\}/g, (_, key: 'name' | 'account' | 'hours') => String(values[key] ?? ''));

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

export interface RenderedMail {
  language: MailLanguage;
  subject: string;
  text: string;
  html: string;
}

/** Writes one mail; every value is escaped in the HTML part, and a subject never holds a line break. */
export function renderMail(kind: MailKind, userLanguage: string | null | undefined, values: MailValues): RenderedMail {
  const language = mailLanguage(userLanguage);
  const template = CATALOGS[language][kind];
  const subject = fill(template.subject, values).replace(/[\r\n]+/g, ' ');
  const lines = template.lines.map((line) => fill(line, values));
  const after = template.after ? fill(template.after, values) : null;
  const link = template.action && values.link ? { label: template.action, url: values.link } : null;

  const text = [
    ...lines,
    ...(link ? [`${link.label}: ${link.url}`] : []),
    ...(after ? [after] : []),
    '—',
    `Roster · ${values.account}`,
  ].join('\n\n');

  const paragraph = (line: string) => `<p style="margin:0 0 16px">${escapeHtml(line)}</p>`;
  const button = link
    ? `<p style="margin:24px 0"><a href="${escapeHtml(link.url)}" style="background:#2457c5;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block;font-weight:600">${escapeHtml(link.label)}</a></p><p style="margin:0 0 16px;color:#555;font-size:13px;word-break:break-all">${escapeHtml(link.url)}</p>`
    : '';
  const html = `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body style="margin:0;padding:24px;background:#f4f6fa;font-family:Arial,Helvetica,sans-serif;color:#1c2433;font-size:15px;line-height:1.5"><div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:32px">${lines.map(paragraph).join('')}${button}${after ? paragraph(after) : ''}<p style="margin:24px 0 0;color:#777;font-size:12px">Roster · ${escapeHtml(values.account)}</p></div></body></html>`;
  return { language, subject, text, html };
}
