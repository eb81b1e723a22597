import crypto from 'node:crypto';
import { ConfigError, commandEnvironment, loadConfig, loadSettings } from '../../src/config';

/** What start-up says is wrong with `env`: the ConfigError's problems, none when it loads. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

describe('config', () => {
  test('when nothing is set, then defaults describe the embedded development setup', () => {
    const config = loadConfig({});
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.SMTP_URL).toBeUndefined();
    expect(config.PORT).toBe(3000);
    expect(config.CONFIRMATION_TTL_HOURS).toBe(48);
    expect(Object.isFrozen(config)).toBe(true);
  });

  test('when a value is malformed, then the error names the variable and the problem', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', SMTP_URL: 'http://mail' });
    } catch (err) {
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^PORT: /m);
      expect(problems).toMatch(/^SMTP_URL: /m);
    }
  });

  test('when DATABASE_URL is set without SECRET_KEY, then start-up is refused', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgresql://db/x' })).toThrow(/SECRET_KEY: required/);
  });

  test('when SECRET_KEY or ADMIN_TOKEN is a placeholder value, then start-up is refused with how to make one', () => {
    // The values docker-compose.yml used to ship, which passed validation.
    const shipped = {
      SECRET_KEY: 'change-me-to-a-long-random-string-of-32-chars-or-more',
      ADMIN_TOKEN: 'change-me-admin-token-of-24-chars-or-more',
    };
    expect(() => loadConfig(shipped)).toThrow(ConfigError);
    try {
      loadConfig(shipped);
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        'SECRET_KEY: is a placeholder: make a random one with `openssl rand -hex 32`',
        'ADMIN_TOKEN: is a placeholder: make a random one with `openssl rand -hex 32`',
      ]);
    }
    expect(() => loadConfig({ SECRET_KEY: 'your-secret-key-goes-here-0123456789abcdef' })).toThrow(/SECRET_KEY: is a placeholder/);
    const random = '3f0c9a7d51b2e8c64a1f0d9e7b3c5a2f18e6d4c2b0a9f7e5d3c1b9a7f5e3d1c0';
    expect(loadConfig({ SECRET_KEY: random, ADMIN_TOKEN: random.slice(0, 32) }).SECRET_KEY).toBe(random);
  });

  test('when only part of the DKIM settings is given, then start-up is refused', () => {
    expect(() => loadConfig({ DKIM_DOMAIN: 'example.com' })).toThrow(/DKIM_DOMAIN, DKIM_SELECTOR, DKIM_PRIVATE_KEY/);
  });

  test('when the DKIM key cannot sign, then start-up is refused naming DKIM_PRIVATE_KEY and why', () => {
    const dkim = { DKIM_DOMAIN: 'news.example.com', DKIM_SELECTOR: 'bulletin' };
    expect(problems({ ...dkim, DKIM_PRIVATE_KEY: 'not-a-key' })).toEqual([expect.stringMatching(/^DKIM_PRIVATE_KEY: not a private key in PEM/)]);
    const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(problems({ ...dkim, DKIM_PRIVATE_KEY: ec })).toEqual(['DKIM_PRIVATE_KEY: must be an RSA key (rsa-sha256), not ec']);
    expect(problems({ DKIM_DOMAIN: 'not a domain', DKIM_SELECTOR: 'two words', DKIM_PRIVATE_KEY: ec }).map((p) => p.split(':')[0])).toEqual([
      'DKIM_DOMAIN',
      'DKIM_SELECTOR',
      'DKIM_PRIVATE_KEY',
    ]);
  });

  test('when the DKIM key is given on one line with \\n escapes, then it is read as the PEM it is', () => {
    const pem = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const config = loadConfig({ DKIM_DOMAIN: 'news.example.com', DKIM_SELECTOR: 'bulletin', DKIM_PRIVATE_KEY: pem.trim().replace(/\n/g, '\\n') });
    expect(config.DKIM_PRIVATE_KEY).toBe(pem.trim());
  });

  test('when a variable is set to the empty string, then it counts as unset', () => {
    expect(loadConfig({ SMTP_URL: '' }).SMTP_URL).toBeUndefined();
  });

  test('when lists are given, then they are split and trimmed', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example,' }).CORS_ORIGINS).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });

  test('when a schedule is not a cron expression, then start-up is refused naming the variable', () => {
    expect(problems({ DIGEST_DAILY_CRON: '61 7 * * *' })).toEqual([expect.stringMatching(/^DIGEST_DAILY_CRON: is not a cron expression .*61/)]);
    expect(problems({ DIGEST_WEEKLY_CRON: 'every monday' })).toEqual([expect.stringMatching(/^DIGEST_WEEKLY_CRON: is not a cron expression/)]);
    expect(problems({ FEED_POLL_CRON: '*/15 * * * * * *' })).toEqual([expect.stringMatching(/^FEED_POLL_CRON: is not a cron expression/)]);
    // What pg-boss schedules: five fields, a seconds field in front, or a nickname.
    expect(loadConfig({ DIGEST_DAILY_CRON: '30 6 * * 1-5', DIGEST_WEEKLY_CRON: '0 0 7 * * 1', FEED_POLL_CRON: '@hourly' }).FEED_POLL_CRON).toBe('@hourly');
  });

  test('when the time zone is unknown, then start-up is refused naming the variable', () => {
    expect(() => loadConfig({ DIGEST_TIMEZONE: 'Europe/Nowhere' })).toThrow(
      /DIGEST_TIMEZONE: is not a time zone \(an IANA name such as "Europe\/Berlin", or "UTC"\)/,
    );
    expect(loadConfig({ DIGEST_TIMEZONE: 'America/New_York' }).DIGEST_TIMEZONE).toBe('America/New_York');
  });

  test('when a command loads only some settings, then the same rules apply to those and the others are not asked for', () => {
    // DATABASE_URL without SECRET_KEY is refused for the service, not for an article import.
    const settings = loadSettings(['DATABASE_URL', 'DATABASE_POOL_SIZE', 'DATA_DIR'], { DATABASE_URL: 'postgresql://db/x', DATA_DIR: '', SMTP_URL: 'nonsense' });
    expect(settings).toEqual({ DATABASE_URL: 'postgresql://db/x', DATABASE_POOL_SIZE: 10, DATA_DIR: '.data' });
    expect(Object.isFrozen(settings)).toBe(true);
    expect(() => loadSettings(['DATABASE_URL'], { DATABASE_URL: 'mysql://db/x' })).toThrow(/^Invalid configuration:\n {2}- DATABASE_URL: /);
    expect(() => loadSettings(['DATABASE_URL', 'SECRET_KEY'], { DATABASE_URL: 'postgresql://db/x' })).toThrow(/SECRET_KEY: required/);
  });

  test('when a command runs, then it logs warnings only unless LOG_LEVEL is set (an empty one counts as unset)', () => {
    expect(loadConfig(commandEnvironment({})).LOG_LEVEL).toBe('warn');
    expect(loadConfig(commandEnvironment({ LOG_LEVEL: '' })).LOG_LEVEL).toBe('warn');
    expect(loadSettings(['LOG_LEVEL'], commandEnvironment({ LOG_LEVEL: 'debug' })).LOG_LEVEL).toBe('debug');
    expect(loadConfig({}).LOG_LEVEL).toBe('info');
  });
});
