/** The longest wait between two attempts, however many have failed. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/**
 * How long to wait after failed attempt number `attempts` (1-based): `baseMs * 2^(attempts-1)`,
 * capped at an hour, spread by +/-20% so mails that failed together (an SMTP outage) do not all
 * come back in the same instant.
 */
export function retryDelayMs(attempts: number, baseMs: number, random: () => number = Math.random) {
  const exponential = baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 32));
  const jittered = exponential * (0.8 + 0.4 * random());
  return Math.round(Math.min(jittered, MAX_RETRY_DELAY_MS));
}
