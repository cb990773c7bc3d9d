/**
 * Colour arithmetic for the brand colour (WCAG 2 relative luminance and contrast ratio), so a
 * configured colour never leaves a button's text or a link unreadable.
 */

/** `#rgb` or `#rrggbb`, any letter case. */
export const HEX_COLOUR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** WCAG AA contrast for normal text. */
export const MIN_TEXT_CONTRAST = 4.5;

type Rgb = readonly [number, number, number];

/** `#1d4ed8` -> [29, 78, 216]; `#abc` is short for `#aabbcc`. */
export function parseHex(hex: string): Rgb {
  if (!HEX_COLOUR.test(hex)) throw new Error(`not a hex colour: ${hex}`);
  const digits = hex.length === 4 ? [...hex.slice(1)].map((d) => d + d).join('') : hex.slice(1);
  return [0, 2, 4].map((i) => Number.parseInt(digits.slice(i, i + 2), 16)) as unknown as Rgb;
}

/** Lower-case `#rrggbb`. */
export function toHex(rgb: Rgb): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG 2 relative luminance, 0 (black) to 1 (white). */
export function luminance(hex: string): number {
  const [r, g, b] = parseHex(hex).map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as unknown as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two colours, 1 to 21. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** `a` moved towards `b` by `amount` (0 to 1). */
export function mix(a: string, b: string, amount: number): string {
  const x = parseHex(a);
  const y = parseHex(b);
  return toHex(x.map((c, i) => c + ((y[i] as number) - c) * amount) as unknown as Rgb);
}

/**
 * The text colour for a surface of colour `background`: white when white reads at 4.5:1 or
 * better, else black (one of the two always does: the worst case is about 4.58:1).
 */
export function readableOn(background: string): '#ffffff' | '#000000' {
  return contrast(background, '#ffffff') >= MIN_TEXT_CONTRAST ? '#ffffff' : '#000000';
}
