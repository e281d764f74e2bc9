import { DomainError } from '../common/errors/domain-error.js';

export const AuditErrors = {
  // The same problem as the users list's bad cursor: a field error on `cursor`.
  invalidCursor: () =>
    new DomainError(
      'VALIDATION_FAILED',
      'invalid',
      'The request has invalid or unknown fields; see errors.',
      { fieldErrors: [{ field: 'cursor', message: 'cursor is not a valid cursor' }] },
    ),
};
