// Zero-width characters, bidirectional controls and other invisible format characters: they make
// two addresses look identical while being different (spoofing), so they are refused outright.
const INVISIBLE_OR_BIDI_RANGES: Array<[number, number]> = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
];
const CONTROL = /\p{Cc}/u;

function isInvisible(codePoint: number): boolean {
  return INVISIBLE_OR_BIDI_RANGES.some(([low, high]) => codePoint >= low && codePoint <= high);
}

/** True when the raw input contains characters an address must never contain. */
export function hasForbiddenEmailCharacters(value: string): boolean {
  if (CONTROL.test(value)) return true;
  for (const character of value) if (isInvisible(character.codePointAt(0) ?? 0)) return true;
  return false;
}

/** The one normalization of an email address: trim, Unicode NFKC, lower-case. */
export function normalizeEmail(value: string): string {
  return value.trim().normalize('NFKC').toLowerCase();
}
