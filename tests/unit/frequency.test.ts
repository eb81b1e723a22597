import { Frequency as DatabaseFrequency } from '../../src/generated/prisma/enums';
import { FREQUENCIES, DEFAULT_FREQUENCY, frequencySchema, isFrequency, type Frequency } from '../../src/shared/frequency';

// Compile-time: `npm run typecheck` fails unless the two types are assignable both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameType: Same<Frequency, DatabaseFrequency> = true;

describe('the frequency', () => {
  test('when compared with the database enum, then it holds the same values', () => {
    expect(sameType).toBe(true);
    expect([...FREQUENCIES].sort()).toEqual(Object.values(DatabaseFrequency).sort());
    expect(FREQUENCIES).toContain(DEFAULT_FREQUENCY);
  });

  test('when a value is not a frequency, then it is refused with the message forms show', () => {
    expect(FREQUENCIES.every(isFrequency)).toBe(true);
    for (const value of ['hourly', 'Daily', '', undefined, 1]) expect(isFrequency(value)).toBe(false);
    expect(frequencySchema.safeParse('hourly').error?.issues[0]?.message).toBe('Choose daily or weekly');
  });
});
