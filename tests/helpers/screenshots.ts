import path from 'node:path';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from './axe';

/** The screenshots' folder, and the widths every public page is shot at (a phone and a laptop). */
export const SHOTS = path.resolve(__dirname, '../../test-results');
export const PAGE_WIDTHS = [375, 1280] as const;

/** Runs `look` with the page laid out at each width in turn; the viewport is put back afterwards. */
export async function atEachWidth(page: Page, widths: readonly number[], look: (width: number) => Promise<void>): Promise<void> {
  const before = page.viewportSize() ?? { width: 1280, height: 720 };
  try {
    for (const width of widths) {
      await page.setViewportSize({ width, height: before.height });
      await look(width);
    }
  } finally {
    await page.setViewportSize(before);
  }
}

/** A full-page screenshot of the page as it is now, saved as `<name>-<width>.png`. */
export async function screenshot(page: Page, name: string, width: number): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
}

/** Full-page screenshots at each width (`<name>-<width>.png`). */
export async function screenshots(page: Page, name: string, widths: readonly number[] = PAGE_WIDTHS): Promise<void> {
  await atEachWidth(page, widths, (width) => screenshot(page, name, width));
}

/** A console page at a phone's width and a laptop's: a screenshot to look at (`console-<name>-<width>.png`), and axe-core finds no violation. */
export async function consoleLooksFinished(page: Page, name: string): Promise<void> {
  await atEachWidth(page, PAGE_WIDTHS, async (width) => {
    await screenshot(page, `console-${name}`, width);
    await expectNoAxeViolations(page, `console ${name}, ${width} px`);
  });
}
