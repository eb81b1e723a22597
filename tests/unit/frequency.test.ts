import { LEGACY_FREQUENCIES } from '../../src/newsletters/newsletter';
import { FREQUENCIES, DEFAULT_FREQUENCY, frequencySchema, isFrequency } from '../../src/shared/frequency';

// The frequencies are gone from the database (migration 20261129110444_newsletters): they live on
// only as the slugs old clients send, until the last user of src/shared/frequency.ts moves over.
describe('the frequency', () => {
  test('when compared with the legacy slugs, then it holds the same values', () => {
    expect([...FREQUENCIES].sort()).toEqual([...LEGACY_FREQUENCIES].sort());
    expect(FREQUENCIES).toContain(DEFAULT_FREQUENCY);
  });

  test('when a value is not a frequency, then it is refused with the message forms show', () => {
    expect(FREQUENCIES.every(isFrequency)).toBe(true);
    for (const value of ['hourly', 'Daily', '', undefined, 1]) expect(isFrequency(value)).toBe(false);
    expect(frequencySchema.safeParse('hourly').error?.issues[0]?.message).toBe('Choose daily or weekly');
  });
});
