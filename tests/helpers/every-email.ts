import request from 'supertest';
import type { CapturedMail } from './smtp-capture';
import { TEST_ADMIN_TOKEN, type TestBulletin, QUIET_SCHEDULES } from './test-bulletin';
import { DigestFixtures } from './digest-fixtures';
import { AlertFixtures } from './alert-fixtures';
import { subscribeAndConfirm, uniqueEmail, waitForMail } from '../integration/subscription-test-kit';

export const EMAIL_KINDS = ['confirmation', 'welcome', 'manage', 'digest', 'alert'] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

/** Settings that make the emails look like a real newsroom's (and pass the SMTP-mode config). */
export const newsroomEnv = {
  MAIL_FROM: 'The Daily Courier <news@courier.example>',
  MAIL_POSTAL_ADDRESS: 'The Daily Courier, 1 Harbour Street, Portsmouth PO1 2AB, United Kingdom',
  MAIL_REPLY_TO: 'Newsroom <letters@courier.example>',
  ...QUIET_SCHEDULES,
};

/** Articles of a plausible morning edition; the first has an ampersand, to check both escapings. */
export const morningArticles = [
  {
    title: 'Tom & Jerry statue unveiled on the harbour front after a decade of fundraising',
    summary: 'The bronze pair, paid for by 4,000 small donations, now greets ferry passengers at the old customs pier.',
    author: 'Mara Quinn',
    imageUrl: 'https://images.courier.example/statue.jpg',
    categories: ['Local'],
  },
  {
    title: 'Council approves the new cycle lanes',
    summary: 'Three routes into the city centre will be built next spring, the council decided after a long debate.',
    author: 'Sam Okafor',
    imageUrl: 'https://images.courier.example/lanes.jpg',
    categories: ['Politics'],
  },
  {
    title: 'Rain expected for the weekend market',
    summary: 'Forecasters advise stallholders to bring covers; the Sunday market will open as usual.',
    categories: ['Weather'],
  },
];

/** The digest's editor's note: two short paragraphs, as a desk writes them. */
export const editorsNote = 'Good morning. The harbour statue took ten years of small donations; our reporter met the people who gave.\n\nEnjoy the market, rain or shine.';

/**
 * Makes the running service send one email of every kind to a new reader, as readers make them
 * (sign up, confirm, ask for a manage link) and as an editor does (articles, a note, then "send now").
 */
export async function receiveEveryEmail(app: TestBulletin): Promise<Record<EmailKind, CapturedMail>> {
  const email = uniqueEmail('every');
  const { confirmMail, welcome } = await subscribeAndConfirm(app, email, { name: 'Ada' });
  await request(app.url).post('/manage').type('form').send({ email }).expect(200);
  const manage = await waitForMail(app, email, /manage/i);

  const fx = new DigestFixtures(app.db.url);
  try {
    const made = [];
    for (const [i, article] of morningArticles.entries()) {
      made.push(await fx.article({ ...article, publishedAt: new Date(Date.now() - (i + 1) * 600_000) }));
    }
    // As an editor curates it (the console's curation page): the note opens the edition.
    await fx.pool.query(
      `INSERT INTO edition_curations (newsletter_id, article_order, pinned, dropped, note, updated_at)
       SELECT id, $1, '{}', '{}', $2, now() FROM newsletters WHERE slug = 'daily'`,
      [made.map((a) => a.id), editorsNote],
    );
  } finally {
    await fx.close();
  }
  const sent = await request(app.url)
    .post('/api/admin/digests')
    .set({ Authorization: `Bearer ${TEST_ADMIN_TOKEN}` })
    .send({ newsletter: 'daily' });
  if (sent.status !== 201) throw new Error(`send now answered ${sent.status}`);
  const digest = await app.smtp.waitFor((m) => m.to.includes(email) && (m.parsed.text ?? '').includes(morningArticles[0]!.title));
  const alert = await receiveAlert(app, email);
  return { confirmation: confirmMail, welcome, manage, digest, alert };
}

/** The reader joins an alert newsletter; an editor posts a breaking article (the lead story, as news breaks). */
async function receiveAlert(app: TestBulletin, email: string): Promise<CapturedMail> {
  const fx = new AlertFixtures(app.db.url);
  try {
    await fx.newsletter('breaking', { name: 'Breaking News' });
    await fx.subscribe(email, 'breaking');
  } finally {
    await fx.close();
  }
  const posted = await request(app.url)
    .post('/api/admin/articles')
    .set({ Authorization: `Bearer ${TEST_ADMIN_TOKEN}` })
    .send({ ...morningArticles[0], url: 'https://courier.example/2026/statue-unveiled', breaking: true });
  if (posted.status !== 201) throw new Error(`breaking article answered ${posted.status}`);
  return app.smtp.waitFor((m) => m.to.includes(email) && (m.parsed.subject ?? '').startsWith('Breaking:'));
}
