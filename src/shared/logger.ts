import pino from 'pino';

export type Logger = pino.Logger;

/** Paths that may carry secrets or personal data; pino replaces them before anything is written. */
const redact = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.token',
  '*.password',
  '*.email',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redact, censor: '[redacted]' } }, destination);
}
