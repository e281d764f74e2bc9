import { Inject, Injectable } from '@nestjs/common';
import type { AccountConfig } from '../config/app-config.js';
import { ACCOUNT_CONFIG } from '../config/config-slices.js';

/** The front-end pages mailed links open; each posts the token to the matching API route. */
export const ACCOUNT_LINK_PATHS = {
  verifyEmail: '/verify-email',
  resetPassword: '/reset-password',
  confirmEmailChange: '/confirm-email',
} as const;

export type AccountLinkKind = keyof typeof ACCOUNT_LINK_PATHS;

/** Links to APP_URL that carry a token: `APP_URL/verify-email?token=...`. */
@Injectable()
export class AccountLinks {
  constructor(@Inject(ACCOUNT_CONFIG) private readonly config: AccountConfig) {}

  to(kind: AccountLinkKind, token: string): string {
    const url = new URL(`${this.config.appUrl}${ACCOUNT_LINK_PATHS[kind]}`);
    url.searchParams.set('token', token);
    return url.toString();
  }
}
