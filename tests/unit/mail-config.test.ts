import { ConfigError, loadConfig } from '../../src/config';
import { subjectLine, SUBJECT_MAX } from '../../src/digests/digest-renderer';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  return '';
}

describe('mail settings', () => {
  test('when SMTP_URL is set without MAIL_POSTAL_ADDRESS, then start-up refuses and names it', () => {
    expect(problemsOf({ SMTP_URL: 'smtp://mail.example:587' })).toMatch(/^MAIL_POSTAL_ADDRESS: required when SMTP_URL is set/m);
    expect(problemsOf({ SMTP_URL: 'smtp://mail.example:587', MAIL_POSTAL_ADDRESS: '1 Quay St, Bristol' })).toBe('');
  });

  test('when emails go to the outbox folder, then no postal address is needed', () => {
    expect(loadConfig({}).MAIL_POSTAL_ADDRESS).toBeUndefined();
  });

  test('when MAIL_REPLY_TO is not an address or could break a header, then start-up refuses and names it', () => {
    expect(problemsOf({ MAIL_REPLY_TO: 'letters' })).toMatch(/^MAIL_REPLY_TO: /m);
    expect(problemsOf({ MAIL_REPLY_TO: 'a@b.example\r\nBcc: x@y.example' })).toMatch(/^MAIL_REPLY_TO: /m);
    expect(loadConfig({ MAIL_REPLY_TO: 'Letters <letters@b.example>' }).MAIL_REPLY_TO).toBe('Letters <letters@b.example>');
    expect(loadConfig({ MAIL_REPLY_TO: 'letters@b.example' }).MAIL_REPLY_TO).toBe('letters@b.example');
  });

  test('when MAIL_LOGO_URL is not https, then start-up refuses and names it (mail clients block mixed content)', () => {
    expect(problemsOf({ MAIL_LOGO_URL: 'http://cdn.example/logo.png' })).toMatch(/^MAIL_LOGO_URL: must be an https URL/m);
    expect(loadConfig({ MAIL_LOGO_URL: 'https://cdn.example/logo.png' }).MAIL_LOGO_URL).toBe('https://cdn.example/logo.png');
  });
});

describe('the digest subject', () => {
  test('when the top story is short, then the subject is the story, then the edition', () => {
    expect(subjectLine('Harbour reopens', 'The Courier Daily')).toBe('Harbour reopens · The Courier Daily');
  });

  test('when the top story is long, then it is cut at a word with an ellipsis and the edition still fits', () => {
    const subject = subjectLine('Council approves the new cycle lanes into the city centre after a very long and heated debate on Tuesday', 'The Courier Daily');
    expect(subject).toBe('Council approves the new cycle lanes into the city centre… · The Courier Daily');
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
  });

  test('when the newsletter name itself is very long, then the whole subject is still cut to fit', () => {
    const subject = subjectLine('Harbour reopens after the storm', `${'Very '.repeat(14)}Long Gazette Daily`);
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(subject.startsWith('Harbour reopens after the storm · Very')).toBe(true);
    expect(subject.endsWith('…')).toBe(true);
  });
});
