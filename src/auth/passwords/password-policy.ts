import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

// zxcvbn-ts's list of ~49,000 most common passwords, lower-cased once, on first use.
let commonPasswords: Set<string> | undefined;
const common = (): Set<string> =>
  (commonPasswords ??= new Set(
    dictionary['passwords-common'].map((password) => password.toLowerCase()),
  ));

/**
 * True for passwords that appear in the common-password list, as they are or with the digits and
 * symbols people append to meet a length rule (`password1234!`).
 */
export function isCommonPassword(password: string): boolean {
  const lowered = password.toLowerCase();
  if (common().has(lowered)) return true;
  const base = lowered.replace(/[\d\W_]+$/u, '');
  if (base.length >= 4 && base !== lowered && common().has(base)) return true;
  return /^(.)\1+$/u.test(password);
}
