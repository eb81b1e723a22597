import { execFileSync, spawnSync } from 'node:child_process';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { newsroomEnv, receiveEveryEmail, type EmailKind } from '../helpers/every-email';
import type { CapturedMail } from '../helpers/smtp-capture';

/**
 * Every kind of email, as the SMTP peer received it, scored by SpamAssassin with its local tests
 * only (-L: no DNS or network lists, so the score is the message's own). CI installs SpamAssassin
 * (.ci/run); elsewhere the test says why it did not run.
 */
const installed = spawnSync('sh', ['-c', 'command -v spamassassin'], { encoding: 'utf8' }).status === 0;
if (!installed) console.warn('spam-score tests skipped: spamassassin is not installed (Debian: apt-get install spamassassin)');
const describeWithSpamAssassin = installed ? describe : describe.skip;

function score(raw: string): { score: number; tests: string } {
  const out = execFileSync('spamassassin', ['-L', '-t', '--cf=use_bayes 0', '--cf=use_auto_whitelist 0'], { input: raw, encoding: 'utf8' });
  const status = /^X-Spam-Status: .*?score=(-?[\d.]+)[\s\S]*?tests=([\s\S]*?)autolearn=/m.exec(out);
  if (!status) throw new Error(`no X-Spam-Status in spamassassin's answer:\n${out.slice(0, 500)}`);
  return { score: Number(status[1]), tests: (status[2] as string).replace(/\s+/g, '') };
}

describeWithSpamAssassin('spam score of every email', () => {
  let app: TestBulletin;
  let emails: Record<EmailKind, CapturedMail>;
  beforeAll(async () => {
    app = await startTestBulletin(newsroomEnv);
    emails = await receiveEveryEmail(app);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  test.each(['confirmation', 'welcome', 'manage', 'digest', 'alert'] as const)(
    'when the %s email is scored offline, then SpamAssassin finds nothing (0.0 or less)',
    (kind) => {
      const result = score(emails[kind].raw);
      // The rule names make a failure readable: which test fired, not just the sum.
      expect({ kind, ...result, score: Math.max(result.score, 0) }).toEqual({ kind, tests: result.tests, score: 0 });
    },
    30_000,
  );
});
