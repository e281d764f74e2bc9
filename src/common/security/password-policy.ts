import { dictionary } from '@zxcvbn-ts/language-common';
import { maxLength, minLength } from 'class-validator';

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

/**
 * The one password rule, for every password being set (registration, change, admin bootstrap and
 * ADMIN_PASSWORD): why `password` is refused, named as `subject`, or undefined when it is allowed.
 * Lengths count characters as class-validator does (a surrogate pair is one).
 */
export function passwordPolicyViolation(
  password: string,
  subject = 'password',
): string | undefined {
  if (!minLength(password, PASSWORD_MIN_LENGTH)) {
    return `${subject} must be at least ${PASSWORD_MIN_LENGTH} characters long`;
  }
  if (!maxLength(password, PASSWORD_MAX_LENGTH)) {
    return `${subject} must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  }
  if (isCommonPassword(password)) {
    return `${subject} is one of the most common passwords; choose another`;
  }
  return undefined;
}
