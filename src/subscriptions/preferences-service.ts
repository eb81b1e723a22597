import { AppError, validationError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { SubscriptionMetrics } from '../metrics/metrics';
import { LEGACY_FREQUENCIES, isActive, type LegacyFrequency } from '../newsletters/newsletter';
import type { ConfirmationRequests } from './confirmation-requests';
import type { MailRequestWake } from './mail-request-relay';
import { unknownNewslettersMessage, type NewsletterChoice, type NewsletterChoices } from './newsletter-choices';
import type { ConsentContext, Subscriber, SubscriberRepository } from './subscriber-repository';
import type { SubscriptionRepository } from './subscription-repository';
import { hashToken, looksLikeToken } from '../shared/secret-tokens';

/** What the preferences page shows: a switch per newsletter, on for those held. */
export interface PreferencesView {
  subscriber: Subscriber;
  /** The offered newsletters and any other active one the reader holds, in the operator's order. */
  newsletters: NewsletterChoice[];
  /** Ids of the newsletters held. */
  held: number[];
}

/** A change of newsletters from the preferences page or an API client. */
export type NewsletterSelection =
  /** Exactly these of the newsletters the page lists (the others listed are left). */
  | { kind: 'exactly'; slugs: readonly string[] }
  /** An old client's `frequency`: that newsletter instead of the other legacy one, nothing else touched. */
  | { kind: 'legacy-frequency'; frequency: LegacyFrequency };

/** Managing a subscription without a login: through the signed link, or a manage link by email. */
export class PreferencesService {
  constructor(
    private readonly deps: {
      repository: SubscriberRepository;
      subscriptions: SubscriptionRepository;
      choices: NewsletterChoices;
      confirmations: ConfirmationRequests;
      mailRequests: MailRequestWake;
      clock: Clock;
      metrics: Pick<SubscriptionMetrics, 'unsubscribe'>;
    },
  ) {}

  async subscriber(id: number): Promise<Subscriber> {
    const subscriber = await this.deps.repository.findById(id);
    if (!subscriber) throw new AppError('NOT_FOUND', 'This subscription no longer exists');
    return subscriber;
  }

  async view(id: number): Promise<PreferencesView> {
    const subscriber = await this.subscriber(id);
    const held = await this.deps.subscriptions.held(id);
    const heldActive = held.filter(isActive).map((n) => n.slug);
    const listed = await this.deps.choices.listed(heldActive);
    return { subscriber, newsletters: listed, held: held.map((n) => n.id) };
  }

  /**
   * Saves a choice of newsletters. Only the newsletters the page lists can be chosen (an API client
   * naming any other gets a 400 naming it); archived ones the reader still holds are left as they
   * are. Choosing none is allowed: the reader stays subscribed and simply gets nothing.
   */
  async choose(id: number, selection: NewsletterSelection, consent: ConsentContext): Promise<PreferencesView> {
    const { newsletters, held } = await this.view(id);
    const slugs = selection.kind === 'exactly' ? selection.slugs : [selection.frequency];
    const bySlug = new Map(newsletters.map((n) => [n.slug, n]));
    const missing = slugs.filter((s) => !bySlug.has(s));
    if (missing.length) throw validationError({ newsletters: unknownNewslettersMessage(missing) });
    const wanted = new Set(slugs.map((s) => bySlug.get(s)!.id));
    const dropped =
      selection.kind === 'exactly'
        ? newsletters.filter((n) => !wanted.has(n.id))
        : newsletters.filter((n) => (LEGACY_FREQUENCIES as readonly string[]).includes(n.slug) && !wanted.has(n.id));
    const { removed } = await this.deps.subscriptions.change(
      id,
      { add: [...wanted].filter((n) => !held.includes(n)), remove: dropped.map((n) => n.id).filter((n) => held.includes(n)) },
      consent,
    );
    for (const n of dropped) if (removed.includes(n.id)) this.deps.metrics.unsubscribe(n.slug);
    return this.view(id);
  }

  /**
   * "Email me a link to manage my subscription". The caller answers the same whether or not the
   * address is known, and the database does the same work for every address (one statement): a
   * pending address gets its confirmation email again instead; both are throttled per address.
   */
  async requestManageLink(email: string): Promise<void> {
    const { now, resendBefore } = this.deps.confirmations.throttle();
    if (await this.deps.repository.requestManageLink(email, now, resendBefore)) this.deps.mailRequests.wake();
  }

  /** Whether a manage link can still be used. Reading it changes nothing (GET, mail scanners). */
  async canOpenManageLink(rawToken: unknown): Promise<boolean> {
    if (!looksLikeToken(rawToken)) return false;
    const token = await this.deps.repository.findToken(hashToken(rawToken), 'manage');
    return Boolean(token && !token.usedAt && token.expiresAt > this.deps.clock.now());
  }

  /**
   * Spends a manage link (it works once): the subscriber it stood for, or undefined when it is
   * unknown, used or expired. What it leads to, the signed preferences link, is the lasting access.
   */
  async openManageLink(rawToken: unknown): Promise<number | undefined> {
    if (!looksLikeToken(rawToken)) return undefined;
    return this.deps.repository.spendToken(hashToken(rawToken), 'manage', this.deps.clock.now());
  }
}
