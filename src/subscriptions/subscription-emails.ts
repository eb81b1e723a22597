import type { Clock } from '../shared/clock';
import type { Mailer } from '../mail/mailer';
import type { Templates } from '../mail/templates';
import type { SignedLinks } from '../shared/signed-links';
import { isActive } from '../newsletters/newsletter';
import { choiceOf, namesInProse, type NewsletterChoice } from './newsletter-choices';
import type { SubscriberRepository, TokenPurpose } from './subscriber-repository';
import type { SubscriptionRepository } from './subscription-repository';
import { issueToken } from '../shared/secret-tokens';
import { escapeHtml, Placeholders, type Filler } from '../mail/personalize';

export interface SubscriptionEmailSettings {
  publicUrl: string;
  /** Shown in subjects and greetings, e.g. "The Daily Courier". */
  listName: string;
  confirmationTtlHours: number;
  manageTtlMinutes: number;
}

/**
 * The bodies of the subscription email jobs. Each reads the subscriber afresh, so an address that
 * unsubscribed after the job was queued gets nothing; each makes its own token, so the raw secret
 * exists only in the email. The name a person typed never goes into the confirmation email
 * (anyone can type anything next to someone else's address).
 */
export class SubscriptionEmails {
  private readonly prepared = new Map<string, { html: Filler; text: Filler }>();

  constructor(
    private readonly deps: {
      repository: SubscriberRepository;
      subscriptions: SubscriptionRepository;
      mailer: Mailer;
      templates: Templates;
      links: SignedLinks;
      clock: Clock;
      settings: SubscriptionEmailSettings;
    },
  ) {}

  async confirmation(subscriberId: number): Promise<'sent' | 'skipped'> {
    const subscriber = await this.deps.repository.findById(subscriberId);
    if (subscriber?.status !== 'pending') return 'skipped';
    const { settings } = this.deps;
    // One email covers every newsletter asked for so far: the link confirms them all.
    const newsletters = await this.newslettersOf(subscriberId);
    const token = await this.newToken(subscriberId, 'confirm', settings.confirmationTtlHours * 60);
    await this.sendPrepared(subscriber.email, subscriberId, 'confirm', `Confirm your subscription to ${settings.listName}`, {
      confirmUrl: `${settings.publicUrl}/confirm?token=${token}`,
      newsletterNames: namesInProse(newsletters.map((n) => n.name)) || settings.listName,
    });
    return 'sent';
  }

  async welcome(subscriberId: number): Promise<'sent' | 'skipped'> {
    const subscriber = await this.deps.repository.findById(subscriberId);
    if (subscriber?.status !== 'confirmed') return 'skipped';
    await this.send(subscriber.email, subscriberId, 'welcome', `Welcome to ${this.deps.settings.listName}`, {
      name: subscriber.name ?? '',
      newsletters: await this.newslettersOf(subscriberId),
      preferencesUrl: this.deps.links.url('preferences', subscriberId),
    });
    return 'sent';
  }

  async manageLink(subscriberId: number): Promise<'sent' | 'skipped'> {
    const subscriber = await this.deps.repository.findById(subscriberId);
    if (!subscriber || subscriber.status === 'pending') return 'skipped';
    const { settings } = this.deps;
    const token = await this.newToken(subscriberId, 'manage', settings.manageTtlMinutes);
    await this.sendPrepared(subscriber.email, subscriberId, 'manage', `Manage your ${settings.listName} subscription`, {
      manageUrl: `${settings.publicUrl}/manage/open?token=${token}`,
    });
    return 'sent';
  }

  /** The active newsletters the subscriber holds, in the operator's order. */
  private async newslettersOf(subscriberId: number): Promise<NewsletterChoice[]> {
    return (await this.deps.subscriptions.held(subscriberId)).filter(isActive).map(choiceOf);
  }

  private async newToken(subscriberId: number, purpose: TokenPurpose, ttlMinutes: number): Promise<string> {
    const { raw, hash } = issueToken();
    const expiresAt = new Date(this.deps.clock.now().getTime() + ttlMinutes * 60_000);
    await this.deps.repository.saveToken({ subscriberId, purpose, hash, expiresAt });
    return raw;
  }

  private async send(to: string, subscriberId: number, template: string, subject: string, data: object): Promise<void> {
    const unsubscribeUrl = this.deps.links.url('unsubscribe', subscriberId);
    const { html, text } = this.render(template, subject, { ...data, unsubscribeUrl });
    await this.deps.mailer.send({ to, subject, html, text, unsubscribeUrl });
  }

  /**
   * Confirmation and manage emails differ from person to person only in their links (and the names
   * of the newsletters asked for), and a person waits for them: rendered and CSS-inlined once per
   * template, then only these values are filled in (escaped for the HTML part).
   */
  private async sendPrepared(
    to: string,
    subscriberId: number,
    template: 'confirm' | 'manage',
    subject: string,
    values: Record<string, string>,
  ): Promise<void> {
    let prepared = this.prepared.get(template);
    if (!prepared) {
      const placeholders = Placeholders.create();
      const { html, text } = this.render(template, subject, placeholders.tokens([...Object.keys(values), 'unsubscribeUrl']));
      prepared = { html: placeholders.compile(html, escapeHtml), text: placeholders.compile(text) };
      this.prepared.set(template, prepared);
    }
    const unsubscribeUrl = this.deps.links.url('unsubscribe', subscriberId);
    const filled = { ...values, unsubscribeUrl };
    await this.deps.mailer.send({ to, subject, html: prepared.html(filled), text: prepared.text(filled), unsubscribeUrl });
  }

  private render(template: string, subject: string, data: object): { html: string; text: string } {
    const { settings } = this.deps;
    return this.deps.templates.email(template, {
      ...data,
      subject,
      listName: settings.listName,
      publicUrl: settings.publicUrl,
      ttlHours: settings.confirmationTtlHours,
      ttlMinutes: settings.manageTtlMinutes,
    });
  }
}
