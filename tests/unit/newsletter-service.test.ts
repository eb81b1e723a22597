import type { Newsletter } from '../../src/newsletters/newsletter';
import type { NewsletterData, NewsletterUse } from '../../src/newsletters/newsletter-admin-repository';
import { NewsletterService } from '../../src/newsletters/newsletter-service';

const NOW = new Date('2026-11-30T10:00:00Z');

/** In-memory newsletters; `inUse` names the ids that have subscriptions, editions or consents. */
function serviceWithFakes(inUse: Set<number> = new Set()) {
  const rows: Newsletter[] = [];
  let changes = 0;
  const stamp = (data: NewsletterData, id: number): Newsletter => ({ ...data, id, createdAt: NOW, updatedAt: NOW });
  const service = new NewsletterService({
    newsletters: {
      all: async () => rows,
      bySlug: async (slug) => rows.find((n) => n.slug === slug) ?? null,
    },
    store: {
      create: async (data) => {
        const n = stamp(data, rows.length + 1);
        rows.push(n);
        return n;
      },
      update: async (id, data) => {
        const n = rows.find((r) => r.id === id)!;
        Object.assign(n, data);
        return n;
      },
      nextPosition: async () => rows.length + 1,
      confirmedSubscriberCounts: async () => new Map(),
      deleteIfUnused: async (id): Promise<{ deleted: true } | { deleted: false; use: NewsletterUse }> => {
        if (inUse.has(id)) return { deleted: false, use: { subscriptions: 1, editions: 0, consents: 0 } };
        rows.splice(rows.findIndex((r) => r.id === id), 1);
        return { deleted: true };
      },
    },
    archive: { page: async () => ({ editions: [] }) },
    clock: { now: () => NOW },
    onChange: async () => {
      changes += 1;
    },
  });
  return { service, rows, changes: () => changes };
}

describe('NewsletterService and the schedules', () => {
  test('when a newsletter is created, changed, archived and deleted, then onChange runs after each change', async () => {
    const { service, changes } = serviceWithFakes();

    await service.create({ slug: 'sports', name: 'Sports', cron: '0 18 * * *' });
    expect(changes()).toBe(1);
    await service.patch('sports', { cron: '0 19 * * *' });
    expect(changes()).toBe(2);
    await service.patch('sports', { archived: true });
    expect(changes()).toBe(3);
    await service.remove('sports');
    expect(changes()).toBe(4);
  });

  test('when a newsletter in use is deleted, then it is archived and onChange runs once', async () => {
    const { service, rows, changes } = serviceWithFakes(new Set([1]));
    await service.create({ slug: 'sports', name: 'Sports', cron: '0 18 * * *' });

    const result = await service.remove('sports');

    expect(result).toMatchObject({ outcome: 'archived', newsletter: { archivedAt: NOW } });
    expect(rows[0]!.archivedAt).toEqual(NOW);
    expect(changes()).toBe(2);
  });

  test('when input is refused or the newsletter is unknown, then onChange does not run', async () => {
    const { service, changes } = serviceWithFakes();

    await expect(service.create({ slug: 'sports', name: 'Sports' })).rejects.toMatchObject({ code: 'VALIDATION', details: { fields: { cron: expect.any(String) } } });
    await expect(service.patch('nope', { name: 'X' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.remove('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(changes()).toBe(0);
  });

  test('when a digest is patched, then it cannot lose its cron nor take an unknown time zone', async () => {
    const { service } = serviceWithFakes();
    await service.create({ slug: 'morning', name: 'Morning', cron: '0 7 * * *', timeZone: 'America/New_York' });

    await expect(service.patch('morning', { cron: null })).rejects.toMatchObject({ details: { fields: { cron: expect.stringMatching(/digest needs a schedule/) } } });
    await expect(service.patch('morning', { timeZone: 'Nowhere/Land' })).rejects.toMatchObject({ details: { fields: { timeZone: expect.any(String) } } });
  });
});
