import type pg from 'pg';
import type { Actor } from '../accounts/actor';
import type { AuditLog } from '../accounts/audit-log';
import { withTransaction } from '../db/transaction';
import { AppError, validationError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { CurationRepository } from './curation-repository';
import type { DigestArticle } from './digest-renderer';
import { cleanNote, move, NOTE_MAX, RefusedMove, type Arranged, type CurationMove } from './edition-curation';
import type { NextEdition, NextEditionReader, WindowedNewsletter } from './next-edition';
import { slotAfter } from './slots';

export type CuratedNewsletter = WindowedNewsletter & { slug: string; name: string };

/** The next edition as the curation page shows it. */
export interface CurationDraft {
  next: NextEdition;
  /** Every candidate where the curation puts it. */
  arranged: Arranged<DigestArticle>[];
  /** When the schedule makes the edition (none: no schedule; send now only). */
  nextSlot?: Date;
  /** Of the stored curation; 0: none, the edition goes out as composed. */
  version: number;
}

/** One change from the page: the note as typed, and a move of one article or none (just save). */
export interface CurationChange {
  /** The version the page showed: another one stored means someone changed it meanwhile. */
  version: number;
  note: string;
  move?: { kind: CurationMove; articleId: number };
}

/**
 * Editors arranging a digest newsletter's next edition (docs/curation.md): each change is checked
 * against the stored version under the next-edition lock (curation-queries.ts), so it never lands
 * on an edition already made or over a colleague's newer change; written to the audit log.
 */
export class EditionCurator {
  constructor(
    private readonly deps: {
      pool: pg.Pool;
      nextEdition: NextEditionReader;
      curations: CurationRepository;
      audit: Pick<AuditLog, 'record'>;
      clock: Clock;
    },
  ) {}

  async draft(newsletter: CuratedNewsletter): Promise<CurationDraft> {
    const now = this.deps.clock.now();
    const next = await this.deps.nextEdition.read(newsletter, now, this.deps.pool, { forCuration: true });
    return {
      next,
      arranged: this.deps.nextEdition.arranged(newsletter, next),
      nextSlot: newsletter.cron ? slotAfter(newsletter.cron, newsletter.timeZone, now) : undefined,
      version: next.curation?.version ?? 0,
    };
  }

  /**
   * Stores the note and the move as a new version. Throws VALIDATION (a note too long, an article
   * not in the next edition, one pin too many) or CONFLICT (the version is not the stored one);
   * either changes nothing. Returns the moved article's title.
   */
  async change(actor: Actor, newsletter: CuratedNewsletter, change: CurationChange): Promise<string | undefined> {
    const note = cleanNote(change.note);
    const length = [...note].length;
    if (length > NOTE_MAX) throw validationError({ note: `An editor's note has at most ${NOTE_MAX} characters; this one has ${length}.` });
    const { version, title } = await withTransaction(this.deps.pool, async (tx) => {
      await this.deps.curations.lockNextEdition(tx, newsletter.id);
      const next = await this.deps.nextEdition.read(newsletter, this.deps.clock.now(), tx, { forCuration: true });
      this.checkVersion(next, change.version);
      const arranged = this.deps.nextEdition.arranged(newsletter, next);
      let choice;
      try {
        choice = change.move
          ? move(arranged, change.move.kind, change.move.articleId, newsletter.maxArticles)
          : next.curation ?? { order: arranged.map((a) => a.article.id), pinned: [], dropped: [] };
      } catch (err) {
        if (err instanceof RefusedMove) throw validationError({ articles: err.message });
        throw err;
      }
      const version = await this.deps.curations.save(tx, newsletter.id, { ...choice, note, userId: actor.userId, at: this.deps.clock.now() });
      return { version, title: arranged.find((a) => a.article.id === change.move?.articleId)?.article.title };
    });
    await this.deps.audit.record(actor, 'edition_curated', { type: 'newsletter', id: newsletter.slug }, {
      change: change.move?.kind ?? 'save',
      ...(change.move ? { article: change.move.articleId } : {}),
      noteLength: length,
      version,
    });
    return title;
  }

  /** Deletes the curation: the next edition goes out as composed. False when there was none. */
  async reset(actor: Actor, newsletter: CuratedNewsletter, version: number): Promise<boolean> {
    const removed = await withTransaction(this.deps.pool, async (tx) => {
      await this.deps.curations.lockNextEdition(tx, newsletter.id);
      this.checkVersion({ curation: await this.deps.curations.of(tx, newsletter.id) }, version);
      return this.deps.curations.remove(tx, newsletter.id);
    });
    if (removed) await this.deps.audit.record(actor, 'edition_curated', { type: 'newsletter', id: newsletter.slug }, { change: 'reset' });
    return removed;
  }

  private checkVersion(next: Pick<NextEdition, 'curation'>, version: number): void {
    const stored = next.curation?.version ?? 0;
    if (stored === version) return;
    const who = next.curation ? `${next.curation.updatedBy ?? 'a removed user'} changed it` : 'it was sent, or reset';
    throw new AppError('CONFLICT', `This edition's curation changed while you had the page open (${who}): nothing was saved. Here it is as it is now.`);
  }
}
