/**
 * Launches Debian's chromium through playwright-core (no bundled browser download): headless, as
 * CI runs it. `.ci/run` installs the `chromium` package; PKGUARD_CHROMIUM points elsewhere.
 * Shared by bench/console.ts and the console tests (test/console).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.PKGUARD_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set PKGUARD_CHROMIUM`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}
