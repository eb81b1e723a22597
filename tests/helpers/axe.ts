import axe from 'axe-core';
import type { Page } from 'playwright-core';

/** What the project's standard asks of pages and emails: WCAG 2.0 and 2.1, levels A and AA, and axe's best practices. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/** Rules switched off for one kind of document, each with the reason it does not apply there. */
export type DisabledRules = Record<string, string>;

export interface AxeCheck {
  disabledRules?: DisabledRules;
  /**
   * Whether axe also looks inside frames. The pages that show an email in a frame check only their
   * own markup: the email is checked as its own document in emails.test.ts, with the email rules,
   * and its sandbox (no scripts) would not run axe anyway.
   */
  iframes?: boolean;
}

const AXE_LOADED = 'typeof window.axe === "object"';

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core in the page as it is now and returns one readable line per violation: rule,
 * impact, what it asks for, and the elements (CSS selectors) that break it. axe is put into the
 * page when it is first checked, through the browser's debugging protocol: not the page's own
 * script, so its Content-Security-Policy stays on and is tested too. (As an init script of every
 * page, it cost each navigation the evaluation of half a megabyte: 3 of a console test's 14 s.)
 */
export async function axeViolations(page: Page, check: AxeCheck = {}): Promise<string[]> {
  // axe runs on timers, which a page without scripts never fires.
  let giveUp: NodeJS.Timeout | undefined;
  const timersRun = page.evaluate('new Promise((resolve) => setTimeout(() => resolve(true), 0))');
  const ran = await Promise.race([timersRun, new Promise((resolve) => (giveUp = setTimeout(() => resolve(false), 5000)))]).finally(() => clearTimeout(giveUp));
  if (!ran) throw new Error('axe-core cannot run in this page: its context has JavaScript off.');
  if (!(await page.evaluate(AXE_LOADED))) await page.evaluate(axe.source);
  const rules = Object.fromEntries(Object.keys(check.disabledRules ?? {}).map((id) => [id, { enabled: false }]));
  const options = { runOnly: { type: 'tag', values: AXE_TAGS }, rules, iframes: check.iframes ?? false, resultTypes: ['violations'] };
  // A string, as the project compiles without DOM types.
  const violations = await page.evaluate<Violation[]>(`axe.run(document, ${JSON.stringify(options)}).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))`);
  return violations.map((v) => `${v.id} (${v.impact ?? 'no impact'}): ${v.help} -> ${v.targets.join(' | ')}`);
}

/** Fails the test with the list of violations, named by `label` (the page or email checked). */
export async function expectNoAxeViolations(page: Page, label: string, check: AxeCheck = {}): Promise<void> {
  const violations = await axeViolations(page, check);
  expect({ label, violations }).toEqual({ label, violations: [] });
}
