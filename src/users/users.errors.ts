import { DomainError } from '../common/errors/domain-error.js';

export const UsersErrors = {
  emailTaken: (field = 'email') =>
    new DomainError('USERS_EMAIL_TAKEN', 'conflict', 'An account with this email already exists.', {
      fieldErrors: [{ field, message: `${field} is already registered` }],
    }),
  notFound: () => new DomainError('USERS_NOT_FOUND', 'not_found', 'No such user.'),
  versionMismatch: () =>
    new DomainError(
      'PRECONDITION_FAILED',
      'precondition_failed',
      'The user has changed since it was read (If-Match does not match the current ETag).',
    ),
  lastAdmin: () =>
    new DomainError(
      'USERS_LAST_ADMIN',
      'conflict',
      'This is the last active admin; promote another admin first.',
    ),
  // The same problem as the role guard's: the caller's token still says admin, the account no
  // longer is (demoted or disabled while the request was on its way).
  notAdmin: () =>
    new DomainError(
      'AUTH_FORBIDDEN',
      'forbidden',
      'This operation requires a role you do not have.',
    ),
  invalidCursor: () =>
    new DomainError(
      'VALIDATION_FAILED',
      'invalid',
      'The request has invalid or unknown fields; see errors.',
      { fieldErrors: [{ field: 'cursor', message: 'cursor is not a valid cursor' }] },
    ),
};
