import { z } from 'zod';
import type { AuditLog } from '../accounts/audit-log';
import type { Actor } from '../accounts/actor';
import type { PrismaClient, Webhook, WebhookDeliveryStatus } from '../generated/prisma/client';
import { AppError, fieldErrors, validationError } from '../shared/errors';
import { EVENT_TYPES } from './event-recorder';
import type { SecretBox } from './secret-box';
import { targetProblem } from './webhook-target';
import { newWebhookSecret } from './webhook-signing';

/** A webhook as the admin API shows it: never its secret. */
export interface WebhookView {
  id: number;
  url: string;
  events: string[];
  active: boolean;
  createdAt: Date;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  lastError: string | null;
}

export interface DeliveryView {
  eventId: string;
  type: string;
  occurredAt: Date;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
}

const webhookInput = z.object({
  url: z.string({ error: 'Give the URL that receives the events' }).trim().min(1, 'Give the URL that receives the events').max(2000, 'At most 2,000 characters'),
  events: z
    .array(z.enum(EVENT_TYPES, { error: `Choose among ${EVENT_TYPES.join(', ')}` }), { error: 'Give a list of event types' })
    .min(1, 'Choose at least one event type'),
});

/** Recent deliveries shown per webhook. */
const DELIVERIES_SHOWN = 50;

/**
 * The operator's webhooks: register (the secret is shown once, in the answer), list, delete, and
 * the recent deliveries of one. Admins only (the http layer's door); each change is audited with
 * the URL's origin only (a path may carry the receiver's own token).
 */
export class WebhookRegistry {
  constructor(private readonly deps: { prisma: PrismaClient; secrets: SecretBox; audit: Pick<AuditLog, 'record'>; allowPrivate: boolean }) {}

  async create(actor: Actor, input: unknown): Promise<{ webhook: WebhookView; secret: string }> {
    const parsed = webhookInput.safeParse(input);
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const { url } = parsed.data;
    const problem = await targetProblem(url, this.deps.allowPrivate);
    if (problem) throw validationError({ url: problem });
    const events = [...new Set(parsed.data.events)];
    const secret = newWebhookSecret();
    const webhook = await this.deps.prisma.$transaction(async (tx) => {
      const created = await tx.webhook.create({ data: { url, events, secret: this.deps.secrets.seal(secret) } });
      await this.deps.audit.record(actor, 'webhook_created', { type: 'webhook', id: created.id }, { origin: new URL(url).origin, events }, tx);
      return created;
    });
    return { webhook: view(webhook), secret };
  }

  async list(): Promise<WebhookView[]> {
    return (await this.deps.prisma.webhook.findMany({ orderBy: { id: 'asc' } })).map(view);
  }

  async get(id: number): Promise<WebhookView> {
    const webhook = await this.deps.prisma.webhook.findUnique({ where: { id } });
    if (!webhook) throw new AppError('NOT_FOUND', 'No webhook has that id');
    return view(webhook);
  }

  /** Deletes the webhook and its deliveries (sent or not): nothing more goes to that URL. */
  async delete(actor: Actor, id: number): Promise<void> {
    await this.deps.prisma.$transaction(async (tx) => {
      const { count } = await tx.webhook.deleteMany({ where: { id } });
      if (!count) throw new AppError('NOT_FOUND', 'No webhook has that id');
      await tx.webhookDelivery.deleteMany({ where: { webhookId: id } });
      await this.deps.audit.record(actor, 'webhook_deleted', { type: 'webhook', id }, undefined, tx);
    });
  }

  /** The newest deliveries of one webhook, on its (webhook_id, created_at) index. */
  async deliveries(id: number): Promise<DeliveryView[]> {
    if (!(await this.deps.prisma.webhook.findUnique({ where: { id }, select: { id: true } }))) throw new AppError('NOT_FOUND', 'No webhook has that id');
    const rows = await this.deps.prisma.webhookDelivery.findMany({
      where: { webhookId: id },
      orderBy: { createdAt: 'desc' },
      take: DELIVERIES_SHOWN,
      include: { event: { select: { type: true, occurredAt: true } } },
    });
    return rows.map((d) => ({
      eventId: d.eventId,
      type: d.event.type,
      occurredAt: d.event.occurredAt,
      status: d.status,
      attempts: d.attempts,
      lastStatus: d.lastStatus,
      lastError: d.lastError,
      nextAttemptAt: d.nextAttemptAt,
      deliveredAt: d.deliveredAt,
    }));
  }
}

function view(w: Webhook): WebhookView {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    active: w.active,
    createdAt: w.createdAt,
    lastSuccessAt: w.lastSuccessAt,
    lastFailureAt: w.lastFailureAt,
    lastError: w.lastError,
  };
}
