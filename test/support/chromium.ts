// Debian's chromium, driven by playwright-core (which never downloads a browser). The browser
// tests skip only when no Chromium binary exists on this machine; under CI (.ci/run installs the
// package) a missing binary is a failure, not a skip.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
export const CHROMIUM_PATH = CANDIDATES.find((p) => existsSync(p));

export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A skip reason, or false when the tests can run. Throws under CI when the browser is missing. */
export function chromiumSkip(): string | false {
  if (CHROMIUM_PATH) return false;
  const why = `Chromium not found (looked for ${CANDIDATES.join(', ')}); install Debian's package: apt-get install -y chromium`;
  if (process.env.CI) throw new Error(`${why} (CI must run the browser tests)`);
  return why;
}

export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM_PATH) throw new Error('Chromium not found');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
}
