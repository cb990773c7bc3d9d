// Checks of a page in Chromium that every browser test can share: computed styles, whether the
// page fits its viewport, the links a person sees, where boxes sit, colours for contrast.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { toHex } from '../../src/ui/colour.ts';

// Expressions evaluated in the page are strings: the project compiles without the DOM library.

/** A computed style of the first element `selector` matches. */
export const style = (page: Page, selector: string, property: string) =>
  page.evaluate(
    `getComputedStyle(document.querySelector(${JSON.stringify(selector)})).getPropertyValue(${JSON.stringify(property)})`,
  ) as Promise<string>;

/** The shared look of tollgate's and the proxy's pages applied: the grey page, the rounded card. */
export async function expectStyled(page: Page) {
  expect(await style(page, 'body', 'background-color')).toBe('rgb(243, 244, 246)');
  expect(await style(page, 'main', 'border-top-left-radius')).toBe('12px');
  expect(await style(page, 'main', 'background-color')).toBe('rgb(255, 255, 255)');
}

/** The page is laid out for the viewport (its viewport meta on a phone) and never scrolls sideways. */
export async function expectFits(page: Page, viewport: { width: number }) {
  const { scrollWidth, innerWidth } = (await page.evaluate(
    '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
  )) as { scrollWidth: number; innerWidth: number };
  expect(innerWidth).toBe(viewport.width);
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
}

/** The absolute hrefs of the links a person sees on the page. */
export async function visibleLinks(page: Page): Promise<string[]> {
  const hrefs: string[] = [];
  for (const link of await page.locator('a[href]').all())
    if (await link.isVisible()) hrefs.push(new URL((await link.getAttribute('href')) ?? '', page.url()).href);
  return hrefs;
}

/** A computed `rgb(r, g, b)` colour as `#rrggbb`, for src/ui/colour.ts. */
export const hex = (rgb: string) =>
  toHex((rgb.match(/\d+/g) ?? []).slice(0, 3).map(Number) as unknown as [number, number, number]);

/** The box of every element `selector` matches, in page order. */
export const boxes = (page: Page, selector: string) =>
  page.evaluate(
    `[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom }; })`,
  ) as Promise<{ top: number; bottom: number }[]>;
