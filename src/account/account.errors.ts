import { DomainError } from '../common/errors/domain-error.js';
import type { UnusableTokenReason } from './account-tokens.repository.js';

/** The account lifecycle's errors; codes are part of the public contract. */
export const AccountErrors = {
  /** A mailed link's token that cannot be spent, and why (the holder of the link may know). */
  unusableToken: (reason: UnusableTokenReason) => {
    switch (reason) {
      case 'unknown':
        return new DomainError(
          'ACCOUNT_TOKEN_INVALID',
          'invalid',
          'This link is not valid: it may have been replaced by a newer one. Ask for a new link.',
        );
      case 'used':
        return new DomainError(
          'ACCOUNT_TOKEN_USED',
          'invalid',
          'This link was already used. Ask for a new link if you still need one.',
        );
      case 'expired':
        return new DomainError(
          'ACCOUNT_TOKEN_EXPIRED',
          'invalid',
          'This link has expired. Ask for a new link.',
        );
    }
  },
  alreadyVerified: () =>
    new DomainError(
      'ACCOUNT_EMAIL_ALREADY_VERIFIED',
      'conflict',
      'This email address is already verified.',
    ),
  sameEmail: () =>
    new DomainError(
      'ACCOUNT_EMAIL_UNCHANGED',
      'invalid',
      'The new email address is the current one.',
      {
        fieldErrors: [
          { field: 'newEmail', message: 'newEmail must differ from the current email' },
        ],
      },
    ),
};
