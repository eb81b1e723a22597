import { howOften, ON_A_SCHEDULE } from '../../src/newsletters/how-often';

const digest = (cron: string | null, timeZone = 'UTC') => howOften({ kind: 'digest', cron, timeZone });

describe('how often a newsletter comes, in words', () => {
  test('when the cron has a common shape, then it is said plainly', () => {
    expect(digest('0 7 * * *')).toBe('Every day at 07:00');
    expect(digest('30 18 * * 5')).toBe('Every Friday at 18:30');
    expect(digest('0 7 * * 1')).toBe('Every Monday at 07:00');
    expect(digest('0 7 * * 0')).toBe('Every Sunday at 07:00');
    expect(digest('0 7 * * 7')).toBe('Every Sunday at 07:00');
    expect(digest('5 6 * * MON')).toBe('Every Monday at 06:05');
    expect(digest('0 6 * * 1-5')).toBe('Every weekday at 06:00');
  });

  test('when the newsletter has its own time zone, then it is named', () => {
    expect(digest('0 7 * * *', 'Europe/Berlin')).toBe('Every day at 07:00 (Europe/Berlin time)');
  });

  test('when the cron is anything else, then no promise is made beyond "On a schedule"', () => {
    for (const cron of ['*/15 * * * *', '0 7 1 * *', '0 7,19 * * *', '0 7 * * 1,3', '0 7 * 6 *', '0 0 7 * * *', 'nonsense', '', null]) {
      expect(digest(cron)).toBe(ON_A_SCHEDULE);
    }
  });

  test('when the newsletter is an alert, then it comes as news breaks', () => {
    expect(howOften({ kind: 'alert', cron: null, timeZone: 'UTC' })).toBe('Breaking news, as it happens');
  });
});
