import { DomainError } from '../errors/domain-error.js';

/**
 * A wrong password where the signed-in caller must confirm theirs (password change, account
 * deletion): one problem for both, naming the field that carried it.
 */
export const passwordIncorrect = (field: string) =>
  new DomainError('AUTH_PASSWORD_INCORRECT', 'invalid', 'The current password is incorrect.', {
    fieldErrors: [{ field, message: `${field} is incorrect` }],
  });

/** Too many wrong passwords for this account from this client address (a doubling lock). */
export const accountLocked = (retryAfterS: number) =>
  new DomainError(
    'AUTH_ACCOUNT_LOCKED',
    'rate_limited',
    `Too many failed logins for this account; retry in ${retryAfterS} s.`,
    { retryAfterS },
  );
