/**
 * The SMTP peer of the bench, in its own process: `node --import tsx bench/smtp-sink.ts` (spawned by
 * the bench with an IPC channel). A real SMTP server (smtp-server, the protocol nodemailer's own
 * tests use) that accepts everything, counts messages and bytes, and can record when each
 * recipient's message was accepted (the moment it answers 250 to the DATA), and can meet some
 * messages with a fault (silence or 451, see SinkFault).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { serve } from './processes';

export interface SinkStats {
  messages: number;
  bytes: number;
  /** Epoch ms of the first and last accepted message (0 when none). */
  first: number;
  last: number;
}

let stats: SinkStats = { messages: 0, bytes: 0, first: 0, last: 0 };
let record = false;
let arrivals = new Map<string, number>();

/**
 * A fault on the first attempt of every `every`th recipient (by first arrival): 'silent' takes the
 * data and never answers the final dot, '451' refuses it. Retries of that recipient are accepted.
 */
export interface SinkFault {
  kind: 'silent' | '451';
  every: number;
}
let fault: SinkFault | undefined;
let seen = new Set<string>();
let faulted = 0;

/** True when this message meets the fault (its recipient's first attempt, one in `every`). */
function meetsFault(to: string): boolean {
  if (!fault || seen.has(to)) return false;
  seen.add(to);
  return seen.size % fault.every === 0 && ++faulted > 0;
}

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, callback) {
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    stream.on('end', () => {
      const to = session.envelope.rcptTo[0]?.address ?? '';
      if (meetsFault(to)) {
        if (fault?.kind === 'silent') return; // never answered: the client's message timeout ends it
        return callback(Object.assign(new Error('451 try again later (bench fault)'), { responseCode: 451 }));
      }
      const now = Date.now();
      if (!stats.first) stats.first = now;
      stats.last = now;
      stats.messages += 1;
      stats.bytes += bytes;
      if (record) for (const r of session.envelope.rcptTo) if (!arrivals.has(r.address)) arrivals.set(r.address, now);
      callback();
    });
  },
});
// A client hanging up mid-session is not the sink's problem.
server.on('error', () => {});

server.listen(0, '127.0.0.1', () => {
  serve(
    {
      /** Forgets everything; `record` keeps an arrival time per recipient (confirmation latency). */
      reset: (args: { record?: boolean; fault?: SinkFault }) => {
        stats = { messages: 0, bytes: 0, first: 0, last: 0 };
        record = Boolean(args.record);
        arrivals = new Map();
        fault = args.fault;
        seen = new Set();
        faulted = 0;
      },
      stats: () => stats,
      /** How many messages met the fault since the last reset. */
      faulted: () => faulted,
      /**
       * Resolves with the stats once `count` messages arrived, or after `timeoutMs` regardless.
       * Polling is enough: the times that matter are stamped on arrival, not when this resolves.
       */
      waitFor: (args: { count: number; timeoutMs: number }) =>
        new Promise<SinkStats>((resolve) => {
          const deadline = Date.now() + args.timeoutMs;
          const timer = setInterval(() => {
            if (stats.messages < args.count && Date.now() < deadline) return;
            clearInterval(timer);
            resolve(stats);
          }, 50);
        }),
      arrivals: () => [...arrivals],
    },
    { port: (server.server.address() as AddressInfo).port },
  );
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
