import { z } from 'zod';
import type { Clock } from '../shared/clock';
import { AppError, fieldErrors, validationError } from '../shared/errors';
import { hashToken, issueToken } from '../shared/secret-tokens';
import { actorOf, type Actor } from './actor';
import type { AuditLog } from './audit-log';
import type { SessionRepository } from './session-repository';

/** Bulletin's API tokens start so, which tells them from ADMIN_TOKEN and lets secret scanners spot them. */
export const API_TOKEN_PREFIX = 'bt_';
const TOUCH_EVERY_MS = 60_000;

const nameSchema = z.object({
  name: z.string({ error: 'Name the token' }).trim().min(1, 'Name the token, e.g. "CMS publishing"').max(100, 'Use at most 100 characters').regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
});

/** Users' own bearer tokens for the admin API: made with a name, shown once, revoked by their owner. */
export class ApiTokens {
  constructor(private readonly deps: { sessions: SessionRepository; audit: AuditLog; clock: Clock }) {}

  async create(actor: Actor, input: unknown): Promise<{ token: string; name: string }> {
    if (actor.userId === null) throw new AppError('FORBIDDEN', 'Only a signed-in user can make API tokens');
    const parsed = nameSchema.safeParse(input);
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const { raw, hash } = issueToken();
    const made = await this.deps.sessions.createApiToken({ userId: actor.userId, name: parsed.data.name, hash, createdAt: this.deps.clock.now() });
    await this.deps.audit.record(actor, 'api_token_created', { type: 'api_token', id: made.id }, { name: made.name });
    return { token: `${API_TOKEN_PREFIX}${raw}`, name: made.name };
  }

  list(userId: number) {
    return this.deps.sessions.apiTokens(userId);
  }

  async revoke(actor: Actor, tokenId: number): Promise<void> {
    if (actor.userId === null || !(await this.deps.sessions.revokeApiToken(actor.userId, tokenId, this.deps.clock.now()))) {
      throw new AppError('NOT_FOUND', 'No such token');
    }
    await this.deps.audit.record(actor, 'api_token_revoked', { type: 'api_token', id: tokenId });
  }

  /** The actor a bearer token stands for: its user, with their role, while both are live. */
  async authenticate(bearer: string): Promise<Actor | null> {
    if (!bearer.startsWith(API_TOKEN_PREFIX)) return null;
    const token = await this.deps.sessions.apiTokenByHash(hashToken(bearer.slice(API_TOKEN_PREFIX.length)));
    if (!token || token.revokedAt || token.user.disabledAt) return null;
    const now = this.deps.clock.now();
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() >= TOUCH_EVERY_MS) await this.deps.sessions.touchApiToken(token.id, now);
    return actorOf(token.user);
  }
}
