import { Readable, pipeline } from 'node:stream';
import type { Response } from 'express';

/**
 * Sends CSV lines as a download, as they are produced: pipeline lets the response's backpressure
 * pace the producer (an export's page queries), and a client that goes away stops it.
 */
export async function sendCsv(res: Response, lines: AsyncIterable<string>, filename: string): Promise<void> {
  res.type('text/csv; charset=utf-8').attachment(filename);
  await new Promise<void>((resolve) => {
    pipeline(Readable.from(lines), res, (err) => {
      if (err && !res.destroyed) res.destroy(err);
      resolve();
    });
  });
}
