import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Logger } from '../shared/logger';
import { SmtpFailure } from './mailer';
import type { SmtpReplyClass } from '../metrics/metrics';
import { AnswerPace } from './answer-pace';
import { SmtpConnector } from './smtp-connector';
import { afterPendingReplies, drop, noAnswer, quit, replyClass, type Slot } from './smtp-slot';
import { markDataWritten, wasDataWritten, type DataPath } from './smtp-data';

/**
 * A small pool of persistent SMTP connections for messages that are already MIME (the digest fast
 * path). It still speaks SMTP through nodemailer's own client (SMTPConnection: greeting, EHLO,
 * STARTTLS, AUTH, PIPELINING of MAIL/RCPT/DATA), but skips nodemailer's Mailer pipeline, which
 * re-parses and re-streams a raw message (MimeNode, compile, streams) before the connection sees it.
 *
 * Profiled per 38 KB digest, that pipeline plus nodemailer's DataStream (dot-stuffing one byte at a
 * time in JS, ~320 us) cost more than everything else Bulletin does per message, so the DATA step
 * is replaced too (smtp-data.ts): native searches, one corked write, no copy of the message. That
 * step relies on nodemailer's internals: if they do not fit, the pool says so once in the log and
 * uses nodemailer's own DataStream (`dataPath` tells which is in use; smtp-connector.ts opens the
 * connections and puts the step on them).
 *
 * Errors are SmtpFailures. A reply from the server keeps its `responseCode` (4xx transient, 5xx
 * permanent). A connection that cannot be opened, logged in to or kept (refused, timeout, dropped,
 * bad credentials, 421 at the greeting) is `unreachable`, WITHOUT `responseCode`: it is not the
 * recipient's fault, and the sender treats it as an outage rather than failing every recipient.
 */

export interface RawSmtpPoolOptions {
  url: string;
  maxConnections: number;
  /** Messages per second across the pool; 0 = unlimited. */
  ratePerSecond: number;
  /** A connection is replaced after this many messages (spreads load, bounds server-side state). */
  maxMessagesPerConnection?: number;
  connectionTimeout?: number;
  greetingTimeout?: number;
  socketTimeout?: number;
  /**
   * The longest one message may wait for the server's final answer (from MAIL FROM to the reply
   * to DATA's final dot); default 30 s. A server silent for longer gets the connection dropped,
   * and the message fails on its own (see `deliver`) while the other connections keep sending.
   * Once the pool knows the server's pace, a message stalled with no spare connection free waits
   * only until AnswerPace's give-up point.
   */
  messageTimeout?: number;
  /**
   * Connections a stalled message may keep beyond maxConnections (SMTP_SPARE_CONNECTIONS; default
   * 0). A message waiting longer than the server usually takes (AnswerPace) keeps waiting for
   * its answer on its connection, and a spare takes that connection's place in the pool until the
   * answer or the timeout ends the wait. 0 keeps the pool at maxConnections, for a relay that
   * refuses more connections than that.
   */
  spareConnections?: number;
  /** Where the pool says, once, that it cannot use its fast DATA step. */
  logger: Pick<Logger, 'error'>;
  /**
   * Hears, per message that got a final reply, the seconds from handing it to its connection (MAIL
   * FROM, RCPT TO, DATA) to that reply: the server's time to accept or refuse it, without the wait
   * for a free connection or a new connection's greeting and login.
   */
  onReply?: (seconds: number, reply: SmtpReplyClass) => void;
}

export interface RawEnvelope {
  from: string;
  to: string;
}

type SmtpClientError = Error & { code?: string; responseCode?: number; response?: string };

interface Job {
  envelope: RawEnvelope;
  message: Buffer;
  resolve: (response: string) => void;
  reject: (err: unknown) => void;
  retried: boolean;
  onStall?: () => void;
}


export class RawSmtpPool {
  private readonly queue: Job[] = [];
  private readonly slots: Slot[];
  private readonly connector: SmtpConnector;
  private readonly spacingMs: number;
  private nextStartAt = 0;
  private rateTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private idleWaiters: Array<() => void> = [];
  private readonly messageTimeout: number;
  private readonly pace: AnswerPace;
  /** When the latest-handed-over message that got an answer was handed over (hrtime). */
  private newestAnsweredStart = 0n;
  /** Final answers so far (replies to messages; not drops or timeouts). */
  private answers = 0;
  /** Slots whose stalled message still waits for its answer, outside `slots`. */
  private readonly stalled = new Set<Slot>();

  constructor(private readonly options: RawSmtpPoolOptions) {
    this.messageTimeout = options.messageTimeout ?? 30_000;
    this.pace = new AnswerPace(this.messageTimeout);
    this.connector = new SmtpConnector(
      options.url,
      {
        connectionTimeout: options.connectionTimeout ?? 10_000,
        greetingTimeout: options.greetingTimeout ?? 10_000,
        // The socket's own idle timeout must not cut a message's wait short (it would read as an outage).
        socketTimeout: Math.max(options.socketTimeout ?? 30_000, this.messageTimeout + 1000),
      },
      options.logger,
    );
    this.slots = Array.from({ length: Math.max(1, options.maxConnections) }, () => ({ connection: undefined, busy: false, sent: 0 }));
    this.spacingMs = options.ratePerSecond > 0 ? 1000 / options.ratePerSecond : 0;
  }

  /** The DATA step the pool's connections use: 'fast' (smtp-data.ts) or nodemailer's own stream. */
  get dataPath(): DataPath {
    return this.connector.dataPath;
  }

  /** How many messages went out through the fast DATA step (what proves it is the one in use). */
  get fastDataWrites(): number {
    return this.connector.fastDataWrites;
  }

  /**
   * Sends one ready message to one recipient; resolves with the server's final reply. `onStall`
   * hears if the message stalls and a spare connection takes its place (see `stall`).
   */
  send(envelope: RawEnvelope, message: Buffer, onStall?: () => void): Promise<string> {
    if (this.closing) return Promise.reject(SmtpFailure.unreachable(new Error('SMTP pool is closed'), 'ECLOSED'));
    return new Promise((resolve, reject) => {
      this.queue.push({ envelope, message, resolve, reject, retried: false, onStall });
      this.pump();
    });
  }

  /** Connections open now beyond maxConnections, each waiting on a stalled message's answer. */
  get spareConnectionsInUse(): number {
    return this.stalled.size;
  }

  /** Lets queued and in-flight sends finish, then says QUIT on every connection. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.queue.length || this.busy()) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    clearTimeout(this.rateTimer);
    await Promise.all(this.slots.map((slot) => quit(slot)));
  }

  private pump(): void {
    while (this.queue.length) {
      const slot = this.slots.find((s) => !s.busy);
      if (!slot) return;
      if (this.spacingMs) {
        const now = Date.now();
        if (this.nextStartAt > now) {
          this.rateTimer ??= setTimeout(() => {
            this.rateTimer = undefined;
            this.pump();
          }, this.nextStartAt - now);
          return;
        }
        this.nextStartAt = Math.max(now, this.nextStartAt) + this.spacingMs;
      }
      slot.busy = true;
      this.run(slot, this.queue.shift() as Job);
    }
    if (!this.busy()) this.idleWaiters.splice(0).forEach((w) => w());
  }

  private busy(): boolean {
    return this.stalled.size > 0 || this.slots.some((s) => s.busy);
  }

  private release(slot: Slot): void {
    slot.busy = false;
    if (slot.stalled) {
      // Its place in the pool went to a spare: this connection ends with its message.
      this.stalled.delete(slot);
      void quit(slot);
    }
    this.pump();
  }

  /**
   * The message on `slot` has waited longer than this server usually takes to answer. It goes on
   * waiting (a late answer still counts: no second copy), but a fresh slot takes its place, so the
   * queue keeps moving on maxConnections answering connections. At most spareConnections at once.
   */
  private stall(slot: Slot, job: Job): boolean {
    if (this.closing || this.stalled.size >= (this.options.spareConnections ?? 0)) return false;
    const index = this.slots.indexOf(slot);
    if (index < 0) return false;
    slot.stalled = true;
    this.stalled.add(slot);
    this.slots[index] = { connection: undefined, busy: false, sent: 0 };
    job.onStall?.();
    this.pump();
    return true;
  }

  private run(slot: Slot, job: Job): void {
    const reused = slot.connection !== undefined;
    const ready = slot.connection ? Promise.resolve(slot.connection) : this.connector.open(slot);
    ready.then(
      (connection) => this.deliver(slot, connection, job, reused),
      (err) => {
        job.reject(err);
        this.release(slot);
      },
    );
  }

  private deliver(slot: Slot, connection: SMTPConnection, job: Job, reused: boolean): void {
    markDataWritten(connection, false);
    const started = process.hrtime.bigint();
    let answered = false;
    const timers: NodeJS.Timeout[] = [];
    // Every wait below ends here once the message has its answer (or was given up).
    const after = (ms: number, fn: () => void) => timers.push(afterPendingReplies(ms, () => answered || fn()));
    // The server took the message (or part of it) and went silent: this message fails, transient
    // when its data went out (the server's verdict on it is missing, as with a 4xx), and the
    // connection, whose session state is now unknown, is dropped. Not an outage: the other
    // connections are answering.
    const giveUp = (ms: number) => {
      answered = true;
      timers.forEach(clearTimeout);
      drop(slot);
      job.reject(noAnswer(ms, wasDataWritten(connection)));
      this.release(slot);
    };
    after(this.messageTimeout, () => giveUp(this.messageTimeout));
    // Slower than this server's usual pace (AnswerPace): a spare takes the connection's place while
    // the message waits on; with no spare free, it is given up at the give-up point, but only when
    // the server plainly answered others meanwhile: a message handed over after it was answered,
    // and, since it was handed over, three times as many answers as connections (the messages
    // already in flight then account for at most one time). Not when the server is slow for all (a
    // load spike, a pause): then every message would be given up and sent again, though the server
    // may take each.
    const { stallMs, giveUpMs } = this.pace;
    const answersAtStart = this.answers;
    const giveUpIfPassedOver = () => {
      const answeredOthers = this.answers - answersAtStart >= 3 * (this.slots.length + (this.options.spareConnections ?? 0));
      if (this.newestAnsweredStart > started && answeredOthers) giveUp(giveUpMs);
      else after(giveUpMs - stallMs, giveUpIfPassedOver);
    };
    if (stallMs < this.messageTimeout) {
      after(stallMs, () => {
        if (this.stall(slot, job) || giveUpMs >= this.messageTimeout) return;
        after(giveUpMs - stallMs, giveUpIfPassedOver);
      });
    }
    connection.send({ from: job.envelope.from, to: [job.envelope.to] }, job.message, (err, info) => {
      if (answered) return; // timed out already (a late reply or the close of the dropped connection)
      answered = true;
      timers.forEach(clearTimeout);
      this.observeReply(started, err ? (err as SmtpClientError).responseCode : 250);
      if (!err) {
        slot.sent++;
        if (slot.sent >= (this.options.maxMessagesPerConnection ?? 1000) && !slot.stalled) void quit(slot);
        job.resolve(info.response ?? '');
        this.release(slot);
        return;
      }
      const e = err as SmtpClientError;
      const reply = typeof e.responseCode === 'number';
      if (reply && e.responseCode !== 421 && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE')) {
        // The server refused this message; the session is fine once reset (RSET).
        job.reject(SmtpFailure.from(err));
        this.reset(slot, connection);
        return;
      }
      drop(slot);
      // 421 is the server closing the session (going down, too busy), not a verdict on this
      // recipient: like a dropped connection, it comes out as a connection error.
      const closing = e.responseCode === 421;
      // A reused connection the server had closed meanwhile: one more try on a fresh connection
      // cannot duplicate the message (nothing of it went out, or the server refused it).
      if (reused && !job.retried && (closing || !wasDataWritten(connection))) {
        job.retried = true;
        this.queue.unshift(job);
      } else if (reply && !closing) {
        job.reject(SmtpFailure.from(err));
      } else {
        // No verdict. After the message's data went out the failure may be this message's doing
        // (a server that drops the connection on it every time), so the sender counts the attempt.
        job.reject(SmtpFailure.unreachable(err, e.code, { dataSent: wasDataWritten(connection) }));
      }
      this.release(slot);
    });
  }

  /**
   * Resets the session after a refused message, then frees the slot. A reset the server does not
   * answer within the message timeout drops the connection instead: nodemailer never calls back
   * when the socket closes first, so without this wait the slot would stay busy for good.
   */
  private reset(slot: Slot, connection: SMTPConnection): void {
    let done = false;
    const end = (keep: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!keep) drop(slot);
      this.release(slot);
    };
    const timer = afterPendingReplies(this.messageTimeout, () => end(false));
    connection.reset((resetErr) => end(!resetErr));
  }

  private observeReply(started: bigint, responseCode: number | undefined): void {
    this.answers++;
    if (started > this.newestAnsweredStart) this.newestAnsweredStart = started;
    const reply = replyClass(responseCode);
    if (!reply) return;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.pace.observe(seconds * 1000);
    this.options.onReply?.(seconds, reply);
  }
}
