import { DomainError } from '../common/errors/domain-error.js';
import { passwordIncorrect } from '../common/security/password-errors.js';
import { requestValidationError } from '../common/pipes/validation.pipe.js';

/** The auth feature's errors; codes are part of the public contract. */
export const AuthErrors = {
  invalidCredentials: () =>
    new DomainError(
      'AUTH_INVALID_CREDENTIALS',
      'unauthorized',
      'The email or password is incorrect.',
    ),
  /** A sign-in (or password change) that a concurrent credentials change overtook. */
  credentialsChanged: () =>
    new DomainError(
      'AUTH_CREDENTIALS_CHANGED',
      'unauthorized',
      "The account's password, status or roles changed meanwhile; sign in again.",
    ),
  accountDisabled: () =>
    new DomainError('AUTH_ACCOUNT_DISABLED', 'forbidden', 'This account is disabled.'),
  /** REQUIRE_VERIFIED_EMAIL: the password was right, the address is not proven yet. */
  emailNotVerified: () =>
    new DomainError(
      'AUTH_EMAIL_NOT_VERIFIED',
      'forbidden',
      'Verify your email address first: follow the link in the verification mail (a new one is on its way).',
    ),
  tokenMissing: () =>
    new DomainError('AUTH_TOKEN_MISSING', 'unauthorized', 'A bearer access token is required.'),
  tokenInvalid: () =>
    new DomainError('AUTH_TOKEN_INVALID', 'unauthorized', 'The access token is invalid.'),
  tokenExpired: () =>
    new DomainError('AUTH_TOKEN_EXPIRED', 'unauthorized', 'The access token has expired.'),
  sessionRevoked: () =>
    new DomainError('AUTH_SESSION_REVOKED', 'unauthorized', 'This session has been signed out.'),
  refreshInvalid: () =>
    new DomainError(
      'AUTH_REFRESH_INVALID',
      'unauthorized',
      'The refresh token is invalid or expired.',
    ),
  refreshReused: () =>
    new DomainError(
      'AUTH_REFRESH_REUSED',
      'unauthorized',
      'This refresh token was already used; the session has been revoked. Sign in again.',
    ),
  /** Cookie mode: neither a `refreshToken` in the body nor the refresh cookie. */
  refreshMissing: () =>
    new DomainError(
      'AUTH_REFRESH_MISSING',
      'unauthorized',
      'A refresh token is required: in the body as refreshToken, or as the refresh_token cookie.',
    ),
  /** Without cookie mode a refresh token can only come in the body: a missing field, as before. */
  refreshTokenFieldMissing: () =>
    requestValidationError([
      { field: 'refreshToken', message: 'refreshToken is not a refresh token' },
      { field: 'refreshToken', message: 'refreshToken must be a string' },
    ]),
  /** CSRF defence: the refresh cookie came from a page whose origin is not in CORS_ORIGINS. */
  originNotAllowed: () =>
    new DomainError(
      'AUTH_ORIGIN_NOT_ALLOWED',
      'forbidden',
      'Requests carrying the refresh cookie must come from an origin listed in CORS_ORIGINS.',
    ),
  sessionNotFound: () => new DomainError('AUTH_SESSION_NOT_FOUND', 'not_found', 'No such session.'),
  passwordIncorrect: () => passwordIncorrect('currentPassword'),
  forbidden: () =>
    new DomainError(
      'AUTH_FORBIDDEN',
      'forbidden',
      'This operation requires a role you do not have.',
    ),
};
