import { accessSync, constants } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium: the browser every browser test drives through playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';

/** Starts headless Chromium with the suite's flags; a missing binary is a loud error, never a skip. */
export async function launchChromium(): Promise<Browser> {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(
      `${CHROMIUM} not found: install it with \`apt-get install -y chromium\` (browser tests never skip)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
