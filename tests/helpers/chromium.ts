import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type LaunchOptions } from 'playwright-core';

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

type ContextOptions = NonNullable<Parameters<typeof chromium.launchPersistentContext>[1]>;

export interface TestBrowser {
  context: BrowserContext;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

/** Chromium with a fresh, throwaway profile, headless, with LAUNCH_ARGS. */
export async function launchBrowser(options: Omit<ContextOptions, 'executablePath' | 'headless' | 'args'> = {}): Promise<TestBrowser> {
  requireChromium();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { ...options, executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The launch options of a plain (non-persistent) Chromium, for the tests that need one. */
export function launchOptions(extraArgs: string[] = []): LaunchOptions {
  requireChromium();
  return { executablePath: CHROMIUM, headless: true, args: [...LAUNCH_ARGS, ...extraArgs] };
}
