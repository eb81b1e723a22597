import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type LaunchOptions } from 'playwright-core';

/** Debian's Chromium: a browser cannot be downloaded from npm here (CHROMIUM_PATH points elsewhere). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless, and no background connections: a closed network refuses them, many at a time. */
export const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Fails the suite at once, saying how to install the browser, rather than with a launch error. */
export function requireChromium(): void {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium" (or set CHROMIUM_PATH)`);
  }
}

export interface TestBrowser {
  /** For more contexts beside `context` (scripts off, say): one browser process serves them all. */
  browser: Browser;
  context: BrowserContext;
  /** Closes the browser; Playwright deletes its throwaway profile. */
  close(): Promise<void>;
}

/** Chromium with a fresh, throwaway profile, headless, with LAUNCH_ARGS, and one context. */
export async function launchBrowser(options: BrowserContextOptions = {}): Promise<TestBrowser> {
  const browser = await chromium.launch(launchOptions());
  const context = await browser.newContext(options);
  return { browser, context, close: () => browser.close() };
}

/** The launch options of a plain (non-persistent) Chromium, for the tests that need one. */
export function launchOptions(extraArgs: string[] = []): LaunchOptions {
  requireChromium();
  return { executablePath: CHROMIUM, headless: true, args: [...LAUNCH_ARGS, ...extraArgs] };
}
