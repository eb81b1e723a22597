import { AnswerPace } from '../../src/mail/answer-pace';

describe("a server's answer pace", () => {
  const observeAll = (pace: AnswerPace, samples: number[]) => samples.forEach((ms) => pace.observe(ms));

  test('when fewer answers than the warm-up were seen, then both thresholds are the message timeout (nothing is judged early)', () => {
    const pace = new AnswerPace(30_000);
    observeAll(pace, Array(AnswerPace.WARM_UP - 1).fill(5));
    expect([pace.stallMs, pace.giveUpMs]).toEqual([30_000, 30_000]);
  });

  test('when a fast server answered the warm-up, then both are at their floors', () => {
    const pace = new AnswerPace(30_000);
    observeAll(pace, Array(AnswerPace.WARM_UP).fill(5));
    expect([pace.stallMs, pace.giveUpMs]).toEqual([250, 1000]);
  });

  test('when a slow relay answers in one to two seconds, then they follow 4 and 10 times its 99th percentile', () => {
    const pace = new AnswerPace(30_000);
    observeAll(pace, Array.from({ length: 256 }, (_, i) => 1000 + i * 4)); // 1,000 to 2,020 ms
    expect([pace.stallMs, pace.giveUpMs]).toEqual([4 * 2012, 10 * 2012]);
  });

  test('when the server is slower than the message timeout allows, then neither passes the timeout', () => {
    const pace = new AnswerPace(10_000);
    observeAll(pace, Array(64).fill(5000));
    expect([pace.stallMs, pace.giveUpMs]).toEqual([10_000, 10_000]);
  });

  test('when the server speeds up again, then the old answers leave the window and the thresholds come down', () => {
    const pace = new AnswerPace(30_000);
    observeAll(pace, Array(AnswerPace.WINDOW).fill(1000));
    expect([pace.stallMs, pace.giveUpMs]).toEqual([4000, 10_000]);
    observeAll(pace, Array(AnswerPace.WINDOW).fill(10));
    expect([pace.stallMs, pace.giveUpMs]).toEqual([250, 1000]);
  });
});
