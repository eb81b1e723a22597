import { Transform, type Readable } from 'node:stream';
import { AppError } from '../shared/errors';

/**
 * An uploaded file as it arrives (a request body, or a multipart form's file part), failing with
 * TOO_LARGE (413) past `maxMb` megabytes (LIST_IMPORT_MAX_MB). The rest of an oversized upload is
 * read and dropped, so the client, still sending, gets the answer.
 */
export function sizeLimited(source: Readable, maxMb: number): Readable {
  const max = maxMb * 1024 * 1024;
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen <= max) return done(null, chunk);
      source.unpipe(counter);
      source.resume();
      done(new AppError('TOO_LARGE', `The file is larger than ${maxMb} MB (LIST_IMPORT_MAX_MB)`));
    },
  });
  source.on('error', (err) => counter.destroy(err));
  return source.pipe(counter);
}
