import { isIP } from 'node:net';

/** The longest textual IP address: eight IPv6 groups with an IPv4 tail. */
const MAX_IP_LENGTH = 45;

/** Shared by every request whose address is not an IP (only possible through a trusted proxy). */
const UNKNOWN_CLIENT = 'unknown';

/**
 * The client address as it may be stored (sessions.ip): a valid IP address, else null. Behind
 * TRUST_PROXY the address comes from `X-Forwarded-For`, which Express passes on unchecked.
 */
export function storableClientIp(ip: string | undefined): string | null {
  return ip !== undefined && ip.length <= MAX_IP_LENGTH && isIP(ip) !== 0 ? ip : null;
}

/** The eight 16-bit groups of a valid IPv6 address (zone id dropped, IPv4 tail split). */
function ipv6Groups(address: string): number[] {
  const withoutZone = address.split('%')[0];
  const [head, tail] = withoutZone.includes('::') ? withoutZone.split('::') : [withoutZone, ''];
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const [a, b, c, d] = group.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const first = parse(head);
  const last = parse(tail);
  return [...first, ...Array<number>(8 - first.length - last.length).fill(0), ...last];
}

/**
 * What per-IP limits count against: an IPv4 address (IPv4-mapped IPv6 included) as itself, an
 * IPv6 address as its /64, since one subscriber is usually handed a whole /64 to rotate through.
 */
export function clientAddressKey(ip: string | undefined): string {
  if (ip === undefined || ip.length > MAX_IP_LENGTH + 16) return UNKNOWN_CLIENT;
  const version = isIP(ip);
  if (version === 4) return ip;
  if (version !== 6) return UNKNOWN_CLIENT;
  const groups = ipv6Groups(ip.toLowerCase());
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}
