import type { Newsletter } from '../../generated/prisma/client';
import type { ReaderData } from '../../privacy/reader-data';
import { dateTime } from './newsroom';

/** The newest deliveries the page lists; the JSON download has them all. */
export const DELIVERIES_SHOWN = 50;

const EVENTS: Record<string, string> = {
  signup: 'Signed up',
  confirmation: 'Confirmed',
  unsubscribe: 'Unsubscribed',
  import: 'Imported',
};

/**
 * One reader's page from their data (the access request's read, not a second set of queries):
 * their subscriptions, plus the newsletters they left (a left newsletter has no subscription any
 * more; its unsubscribe consent record says when), the consent history and the newest deliveries,
 * newest first, with times as the console writes them.
 */
export function readerPage(data: ReaderData, newsletters: Newsletter[]) {
  const names = new Map(newsletters.map((n) => [n.slug, n.name]));
  const nameOf = (slug: string | null) => (slug === null ? null : (names.get(slug) ?? slug));
  const s = data.subscriber;
  const active = new Set(data.subscriptions.map((x) => x.newsletter));
  const left = new Map<string, Date>();
  for (const c of data.consents) if (c.event === 'unsubscribe' && c.newsletter && !active.has(c.newsletter)) left.set(c.newsletter, c.createdAt);
  return {
    subscriber: {
      id: s.id,
      email: s.email,
      name: s.name,
      status: s.status,
      created: dateTime(s.createdAt),
      confirmed: s.confirmedAt && dateTime(s.confirmedAt),
      unsubscribed: s.unsubscribedAt && dateTime(s.unsubscribedAt),
      suppressed: s.suppressedAt && dateTime(s.suppressedAt),
      suppressionReason: s.suppressedAt ? (s.suppressionReason ?? `Mail to it failed permanently ${s.hardBounces} times in a row`) : null,
      hardBounces: s.hardBounces,
    },
    subscriptions: [
      ...data.subscriptions.map((x) => ({ slug: x.newsletter, name: nameOf(x.newsletter), since: dateTime(x.createdAt), left: null })),
      ...[...left].map(([slug, at]) => ({ slug, name: nameOf(slug), since: null, left: dateTime(at) })),
    ],
    consents: data.consents
      .map((c) => ({
        at: dateTime(c.createdAt),
        event: EVENTS[c.event] ?? c.event,
        newsletter: nameOf(c.newsletter),
        source: c.source,
        ip: c.ip,
        statement: c.statement,
      }))
      .reverse(),
    deliveries: data.deliveries
      .slice(-DELIVERIES_SHOWN)
      .reverse()
      .map((d) => ({ editionId: d.editionId, newsletter: nameOf(d.newsletter), status: d.status, at: dateTime(d.sentAt ?? d.editionAt), sent: d.sentAt !== null })),
    deliveriesTotal: data.deliveries.length,
  };
}
