import { runCommand, type CommandResult } from '../helpers/run-command';
import { startTestBulletin, type TestBulletin, TEST_POSTAL_ADDRESS, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { query, subscribeAndConfirm, uniqueEmail } from './subscription-test-kit';
import { DigestFixtures } from '../helpers/digest-fixtures';


describe('npm run digest:now, as a newcomer runs it', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    // No PUBLIC_URL: the server and the command both derive it from HOST and PORT.
    app = await startTestBulletin({ ...QUIET_SCHEDULES, PUBLIC_URL: '' });
  });
  afterAll(async () => {
    await app.stop();
  });

  /** Runs a command the way `npm run` does (tsx, no build), with the server's settings. */
  function run(script: string, args: string[] = []): Promise<CommandResult> {
    return runCommand(script, args, {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      DATABASE_URL: app.db.url,
      SMTP_URL: app.smtp.url,
      MAIL_POSTAL_ADDRESS: TEST_POSTAL_ADDRESS,
      SECRET_KEY: app.config.SECRET_KEY!,
      PORT: String(app.config.PORT),
      LOG_LEVEL: 'warn',
    });
  }
  const digestNow = () => run('src/cli/send-digest.ts', ['daily']);
  const sampleArticles = () => run('src/cli/sample-articles.ts');
  const digestCount = async () => (await query<{ n: number }>(app, 'SELECT count(*)::int AS n FROM digests'))[0]!.n;

  test('when it is run before anyone confirmed, then the articles are kept and each message names a step that works', async () => {
    expect((await sampleArticles()).code).toBe(0);

    const early = await digestNow();
    expect(early.stderr).toBe('');
    expect(early.code).toBe(0);
    expect(early.stdout).toContain('No confirmed daily subscribers yet, so nothing was sent; the 8 articles wait for the next edition.');
    expect(early.stdout).toContain(`subscribe at ${app.url}/ (daily digest), click the link in the confirmation email, then npm run digest:now -- daily.`);
    expect(await digestCount()).toBe(0);

    // The step it named: subscribe, confirm, run it again. The same 8 articles go out.
    const email = uniqueEmail('first-run');
    await subscribeAndConfirm(app, email, { frequency: 'daily' });
    const sent = await digestNow();
    expect(sent.stdout).toContain('8 articles, 1 recipients');
    expect(sent.stdout).toContain(`Web version: ${app.url}/digests/`);
    const digest = await app.smtp.waitFor((m) => m.to.includes(email) && !/welcome|confirm/i.test(m.parsed.subject ?? ''));
    expect(digest.parsed.text).toContain('Harbour bridge gets the green light');

    // Nothing new: the message names sample:articles, and that step really makes the next edition.
    const empty = await digestNow();
    expect(empty.stdout).toMatch(/^No articles since the previous daily edition \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\): nothing to send\.$/m);
    expect(empty.stdout).toContain('Next: npm run sample:articles (it dates the samples after the latest edition), then npm run digest:now -- daily.');
    expect((await sampleArticles()).code).toBe(0);
    const again = await digestNow();
    expect(again.stdout).toContain('8 articles, 1 recipients');
    expect(await digestCount()).toBe(2);
  }, 120_000);

  test('when it names another newsletter, then that newsletter\'s edition goes out; an unknown one is refused with the digest newsletters listed', async () => {
    const fx = new DigestFixtures(app.db.url);
    try {
      await fx.newsletter({ slug: 'evening', name: 'Evening', cron: '0 18 * * *', categories: ['Sport'] });
      await fx.newsletter({ slug: 'breaking', kind: 'alert' });
      const [reader] = await fx.subscribers(1, { newsletters: ['evening'] });
      await fx.article({ title: 'Evening match report', categories: ['sport'] });
      await fx.article({ title: 'Not for the evening', categories: ['Politics'] });

      const sent = await run('src/cli/send-digest.ts', ['evening']);
      expect(sent.code).toBe(0);
      expect(sent.stdout).toMatch(/^Composed evening edition #\d+: 1 articles, 1 recipients\.$/m);
      const mail = await app.smtp.waitFor((m) => m.to.includes(reader!.email));
      expect(mail.parsed.subject).toBe('Evening match report · Bulletin Evening');

      for (const slug of ['nosuch', 'breaking']) {
        const refused = await run('src/cli/send-digest.ts', [slug]);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toContain(`no active digest newsletter "${slug}". Digest newsletters: daily, weekly, evening.`);
      }
    } finally {
      await fx.close();
    }
  }, 120_000);
});
