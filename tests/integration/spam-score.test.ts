import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { EMAIL_KINDS, newsroomEnv, receiveEveryEmail, type EmailKind } from '../helpers/every-email';

/**
 * Every kind of email, as the SMTP peer received it, scored by SpamAssassin with its local tests
 * only (-L: no DNS or network lists, so the score is the message's own). CI installs SpamAssassin
 * (.ci/run); elsewhere the test says why it did not run.
 */
const installed = spawnSync('sh', ['-c', 'command -v spamassassin'], { encoding: 'utf8' }).status === 0;
if (!installed) console.warn('spam-score tests skipped: spamassassin is not installed (Debian: apt-get install spamassassin)');
const describeWithSpamAssassin = installed ? describe : describe.skip;

async function score(raw: string): Promise<{ score: number; tests: string }> {
  const run = promisify(execFile)('spamassassin', ['-L', '-t', '--cf=use_bayes 0', '--cf=use_auto_whitelist 0'], { encoding: 'utf8' });
  run.child.stdin!.end(raw);
  const { stdout: out } = await run;
  const status = /^X-Spam-Status: .*?score=(-?[\d.]+)[\s\S]*?tests=([\s\S]*?)autolearn=/m.exec(out);
  if (!status) throw new Error(`no X-Spam-Status in spamassassin's answer:\n${out.slice(0, 500)}`);
  return { score: Number(status[1]), tests: (status[2] as string).replace(/\s+/g, '') };
}

describeWithSpamAssassin('spam score of every email', () => {
  let app: TestBulletin;
  const scores = new Map<EmailKind, { score: number; tests: string }>();
  beforeAll(async () => {
    app = await startTestBulletin(newsroomEnv);
    const emails = await receiveEveryEmail(app);
    // One SpamAssassin per email, side by side: each spends seconds loading its rules.
    await Promise.all(EMAIL_KINDS.map(async (kind) => scores.set(kind, await score(emails[kind].raw))));
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  test.each(EMAIL_KINDS)(
    'when the %s email is scored offline, then SpamAssassin finds nothing (0.0 or less)',
    (kind) => {
      const result = scores.get(kind)!;
      // The rule names make a failure readable: which test fired, not just the sum.
      expect({ kind, ...result, score: Math.max(result.score, 0) }).toEqual({ kind, tests: result.tests, score: 0 });
    },
  );
});
