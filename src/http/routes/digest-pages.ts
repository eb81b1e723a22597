import { Router } from 'express';
import { AppError } from '../../shared/errors';
import { allowEmailImages } from '../email-images';
import type { Pages } from '../pages';
import type { DigestRepository } from '../../digests/digest-repository';
import type { EditionComposer } from '../../digests/edition-composer';

const PUBLIC_ID = /^[A-Za-z0-9_-]{16,32}$/;

/**
 * GET /digests/:publicId, the "view in browser" page: the edition as it was sent, with the
 * personal links replaced by generic ones (the page is public and shared).
 */
export function digestPagesRouter(deps: {
  pages: Pages;
  repository: DigestRepository;
  composer: EditionComposer;
}): Router {
  const router = Router();
  router.get('/digests/:publicId', async (req, res) => {
    const { publicId } = req.params;
    const digest = PUBLIC_ID.test(publicId) ? await deps.repository.byPublicId(publicId) : undefined;
    if (!digest) throw new AppError('NOT_FOUND', 'No such digest');
    allowEmailImages(res);
    deps.pages.send(res, 'digest', {
      subject: digest.subject,
      newsletterName: digest.newsletter.name,
      editionAt: digest.editionAt,
      html: deps.composer.fillGenericLinks(digest.html),
    });
  });
  return router;
}
