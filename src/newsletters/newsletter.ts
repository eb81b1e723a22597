import { z } from 'zod';
import type { Newsletter } from '../generated/prisma/client';

export type { Newsletter, NewsletterKind } from '../generated/prisma/client';

/**
 * A newsletter's name in URLs, the API and its List-Id: lower-case letters, digits and hyphens,
 * starting with a letter or digit. The one check, with the message the API and forms show.
 */
export const slugSchema = z
  .string({ error: 'A slug is text' })
  .trim()
  .min(1, 'Give the newsletter a slug, like "sports"')
  .max(64, 'A slug can be 64 characters at most')
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'A slug has lower-case letters, digits and hyphens only, like "morning-briefing"');

/**
 * The two newsletters the upgrade made from the frequencies of the single list (migration
 * 20261129110444_newsletters). Old clients still send `frequency: "daily" | "weekly"`: it names
 * the newsletter of that slug.
 */
export const LEGACY_FREQUENCIES = ['daily', 'weekly'] as const;
export type LegacyFrequency = (typeof LEGACY_FREQUENCIES)[number];

/** Whether readers can find and join it: not archived and listed on the signup form. */
export function isOffered(n: Pick<Newsletter, 'offered' | 'archivedAt'>): boolean {
  return n.offered && !n.archivedAt;
}

/** Whether its editions go out: any newsletter not archived (offered or not: a box can fix it). */
export function isActive(n: Pick<Newsletter, 'archivedAt'>): boolean {
  return !n.archivedAt;
}
