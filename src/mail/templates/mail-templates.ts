/**
 * Every mail the service sends: a subject, a plain-text body and an HTML body, rendered from the
 * data the caller gives. Values are escaped for HTML; links are the only thing a reader must act
 * on, and each says how long it lives.
 */
export interface MailTemplateData {
  'verify-email': { link: string; expiresInHours: number };
  'password-reset': { link: string; expiresInMinutes: number };
  'email-change-confirm': { link: string; newEmail: string; expiresInHours: number };
  'email-changed-notice': { newEmail: string };
}

export type MailTemplateName = keyof MailTemplateData;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (value: string): string =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function layout(title: string, paragraphs: string[], action?: { label: string; link: string }) {
  const button = action
    ? `<p><a href="${escapeHtml(action.link)}" style="display:inline-block;padding:10px 16px;` +
      `background:#1f6feb;color:#ffffff;text-decoration:none;border-radius:6px">` +
      `${escapeHtml(action.label)}</a></p>` +
      `<p style="font-size:12px;color:#57606a">Or open this link: ${escapeHtml(action.link)}</p>`
    : '';
  return (
    `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5;color:#24292f">` +
    `<h1 style="font-size:20px">${escapeHtml(title)}</h1>` +
    paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('') +
    button +
    `</body></html>`
  );
}

const IGNORE_IF_NOT_YOU = 'If you did not ask for this, ignore this message: nothing changes.';

const RENDERERS: { [K in MailTemplateName]: (data: MailTemplateData[K]) => RenderedMail } = {
  'verify-email': ({ link, expiresInHours }) => {
    const intro = 'Confirm that this address is yours to finish setting up your account.';
    const lifetime = `The link works once and expires in ${expiresInHours} hours.`;
    return {
      subject: 'Verify your email address',
      text: `${intro}\n\n${link}\n\n${lifetime}\n${IGNORE_IF_NOT_YOU}\n`,
      html: layout('Verify your email address', [intro, lifetime, IGNORE_IF_NOT_YOU], {
        label: 'Verify email',
        link,
      }),
    };
  },
  'password-reset': ({ link, expiresInMinutes }) => {
    const intro = 'Someone asked to reset the password of the account with this address.';
    const lifetime =
      `The link works once and expires in ${expiresInMinutes} minutes; ` +
      'setting a new password signs out every session.';
    return {
      subject: 'Reset your password',
      text: `${intro}\n\n${link}\n\n${lifetime}\n${IGNORE_IF_NOT_YOU}\n`,
      html: layout('Reset your password', [intro, lifetime, IGNORE_IF_NOT_YOU], {
        label: 'Choose a new password',
        link,
      }),
    };
  },
  'email-change-confirm': ({ link, newEmail, expiresInHours }) => {
    const intro = `Confirm that ${newEmail} should become the sign-in address of your account.`;
    const lifetime = `The link works once and expires in ${expiresInHours} hours.`;
    return {
      subject: 'Confirm your new email address',
      text: `${intro}\n\n${link}\n\n${lifetime}\n${IGNORE_IF_NOT_YOU}\n`,
      html: layout('Confirm your new email address', [intro, lifetime, IGNORE_IF_NOT_YOU], {
        label: 'Confirm new address',
        link,
      }),
    };
  },
  'email-changed-notice': ({ newEmail }) => {
    const intro = `The sign-in address of your account was changed to ${newEmail}.`;
    const help =
      'This address no longer signs in. If you did not make this change, contact support at once.';
    return {
      subject: 'Your email address was changed',
      text: `${intro}\n\n${help}\n`,
      html: layout('Your email address was changed', [intro, help]),
    };
  },
};

export function renderMail<K extends MailTemplateName>(
  template: K,
  data: MailTemplateData[K],
): RenderedMail {
  return RENDERERS[template](data);
}
