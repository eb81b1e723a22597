import { Router } from 'express';
import { z } from 'zod';
import { requireAdmin } from '../admin-auth';
import { AppError, fieldErrors, validationError } from '../../shared/errors';
import type { Clock } from '../../shared/clock';
import { frequencySchema } from '../../shared/frequency';
import { MAX_ROW_ID } from '../../shared/row-id';
import type { DeliveryLedger } from '../../digests/delivery-ledger';
import type { DigestRepository } from '../../digests/digest-repository';
import type { EditionComposer } from '../../digests/edition-composer';

const frequencyQuery = z.object({ frequency: frequencySchema });
const idSchema = z.coerce.number().int().positive().max(MAX_ROW_ID);

/** Admin API of the digests. Shows counts and subjects only: never an address or a token. */
export function adminDigestsRouter(deps: {
  adminToken: string | undefined;
  composer: EditionComposer;
  repository: DigestRepository;
  ledger: DeliveryLedger;
  clock: Clock;
  publicUrl: string;
  /** Tells the local sender there is work, so it does not wait for its next poll. */
  wakeSender: () => void;
}): Router {
  const router = Router();
  router.use('/api/admin/digests', requireAdmin(deps.adminToken));

  router.get('/api/admin/digests', async (_req, res) => {
    const digests = await deps.repository.list(100);
    res.json({ digests: digests.map((d) => ({ ...d, webUrl: `${deps.publicUrl}/digests/${d.publicId}` })) });
  });

  router.get('/api/admin/digests/preview', async (req, res) => {
    const { frequency } = parse(frequencyQuery, req.query);
    const preview = await deps.composer.preview(frequency, deps.clock.now());
    if (!preview.articles) throw new AppError('NOT_FOUND', 'No articles since the previous edition: nothing would be sent');
    res.setHeader('X-Digest-Subject', encodeURIComponent(preview.subject));
    res.type('html').send(preview.html);
  });

  router.post('/api/admin/digests', async (req, res) => {
    const { frequency } = parse(frequencyQuery, req.body ?? {});
    const result = await deps.composer.compose(frequency, deps.clock.now());
    if (result.outcome === 'exists') throw new AppError('CONFLICT', 'An edition for this time already exists');
    if (result.outcome === 'empty') {
      res.json({ digest: null, message: 'No articles since the previous edition: nothing to send' });
      return;
    }
    if (result.outcome === 'no-recipients') {
      res.json({ digest: null, message: `No confirmed ${frequency} subscribers: nothing sent, the articles wait for the next edition` });
      return;
    }
    deps.wakeSender();
    res.status(201).json({
      digest: {
        id: result.digestId,
        publicId: result.publicId,
        recipients: result.recipients,
        articles: result.articles,
        webUrl: `${deps.publicUrl}/digests/${result.publicId}`,
      },
    });
  });

  router.post('/api/admin/digests/:id/retry-failed', async (req, res) => {
    const id = idSchema.safeParse(req.params.id);
    if (!id.success || !(await deps.repository.byId(id.data))) throw new AppError('NOT_FOUND', 'No such digest');
    const requeued = await deps.ledger.retryFailed(id.data);
    if (requeued) deps.wakeSender();
    res.json({ requeued });
  });

  return router;
}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError(fieldErrors(parsed.error));
  return parsed.data;
}
