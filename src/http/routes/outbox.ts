import fs from 'node:fs/promises';
import path from 'node:path';
import { Router } from 'express';
import { simpleParser } from 'mailparser';
import type { Pages } from '../pages';
import { AppError } from '../../shared/errors';
import { isFromThisMachine } from '../local-request';
import { allowEmailImages } from '../email-images';

const EML_NAME = /^[\w.-]+\.eml$/;

/**
 * Served only when emails go to the outbox folder and the server listens on a loopback address:
 * lets a newcomer read them in the browser. The emails hold live confirm and manage links, so a
 * request from elsewhere (another machine, or through a proxy on this one) finds nothing here.
 */
export function outboxRouter(dir: string, pages: Pages): Router {
  const router = Router();
  router.use('/outbox', (req, _res, next) => {
    next(isFromThisMachine(req) ? undefined : new AppError('NOT_FOUND', 'Not found'));
  });

  router.get('/outbox', async (_req, res) => {
    const names = (await readNames(dir)).sort().reverse().slice(0, 200);
    const emails = await Promise.all(
      names.map(async (name) => {
        const mail = await simpleParser(await fs.readFile(path.join(dir, name)));
        return { name, subject: mail.subject ?? '(no subject)', to: mail.to ? textOf(mail.to) : '', date: mail.date };
      }),
    );
    pages.send(res, 'outbox', { emails });
  });

  router.get('/outbox/:name', async (req, res) => {
    const name = req.params.name;
    if (!EML_NAME.test(name)) throw new AppError('NOT_FOUND', 'No such email');
    const raw = await fs.readFile(path.join(dir, name)).catch(() => {
      throw new AppError('NOT_FOUND', 'No such email');
    });
    if (req.query.raw !== undefined) {
      res.type('message/rfc822').send(raw);
      return;
    }
    const mail = await simpleParser(raw);
    allowEmailImages(res);
    const headers = mail.headerLines
      .filter((h) => /^(from|to|subject|date|list-|message-id)/i.test(h.key))
      .map((h) => h.line);
    pages.send(res, 'outbox-email', {
      name,
      subject: mail.subject ?? '(no subject)',
      headers,
      // Links inside the email open in the whole window, as they would from a mail client.
      html: typeof mail.html === 'string' ? `<base target="_top">${mail.html}` : '',
      text: mail.text ?? '',
    });
  });

  return router;
}

async function readNames(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((n) => EML_NAME.test(n));
  } catch {
    return [];
  }
}

function textOf(address: { text: string } | { text: string }[]): string {
  return Array.isArray(address) ? address.map((a) => a.text).join(', ') : address.text;
}
