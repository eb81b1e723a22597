import type { Logger } from '../shared/logger';
import { SmtpFailure } from './mailer';
import type { SmtpReplyClass } from '../metrics/metrics';
import { AnswerPace } from './answer-pace';
import { SmtpConnector, type DataPath } from './smtp-connector';
import type { RawEnvelope, SmtpLink } from './smtp-link';
import { afterPendingReplies, drop, emptySlot, noAnswer, quit, replyClass, type Slot } from './smtp-slot';

export type { RawEnvelope } from './smtp-link';
/**
 * A small pool of persistent SMTP connections for messages that are already MIME (the digest fast
 * path). nodemailer's own client (SMTPConnection) opens each connection (greeting, EHLO, STARTTLS,
 * AUTH), but the messages skip nodemailer's Mailer pipeline, which re-parses and re-streams a raw
 * message (MimeNode, compile, streams) before the connection sees it.
 *
 * Profiled per 38 KB digest, that pipeline plus nodemailer's DataStream (dot-stuffing one byte at a
 * time in JS, ~320 us) cost more than everything else Bulletin does per message. So once a
 * connection is open a PipelinedSession takes it over (smtp-session.ts): one exchange per message
 * under load, native dot-stuffing, one corked write. It relies on nodemailer's internals: if they
 * do not fit, the pool says so once in the log and sends through nodemailer's client, one message
 * per connection at a time (`dataPath` tells which is in use; smtp-connector.ts opens the
 * connections and chooses).
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
  /** Where the pool says, once, that it cannot use its pipelined session. */
  logger: Pick<Logger, 'error'>;
  /**
   * Hears, per message that got a final reply, the seconds from handing it to its connection (MAIL
   * FROM, RCPT TO, DATA) to that reply: the server's time to accept or refuse it, without the wait
   * for a free connection or a new connection's greeting and login.
   */
  onReply?: (seconds: number, reply: SmtpReplyClass) => void;
}

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
  private readonly maxMessagesPerConnection: number;
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
    this.maxMessagesPerConnection = options.maxMessagesPerConnection ?? 1000;
    this.pace = new AnswerPace(this.messageTimeout);
    this.connector = new SmtpConnector(
      options.url,
      {
        connectionTimeout: options.connectionTimeout ?? 10_000,
        greetingTimeout: options.greetingTimeout ?? 10_000,
        // The socket's own idle timeout must not cut a message's wait short (it would read as an outage).
        socketTimeout: Math.max(options.socketTimeout ?? 30_000, this.messageTimeout + 1000),
      },
      this.messageTimeout,
      options.logger,
    );
    this.slots = Array.from({ length: Math.max(1, options.maxConnections) }, emptySlot);
    this.spacingMs = options.ratePerSecond > 0 ? 1000 / options.ratePerSecond : 0;
  }

  /** The client the pool's connections use: 'fast' (PipelinedSession) or nodemailer's own. */
  get dataPath(): DataPath {
    return this.connector.dataPath;
  }

  /** How many messages went out through a PipelinedSession (what proves it is the one in use). */
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
      const slot = this.freeSlot();
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
      slot.inFlight++;
      slot.handed = slot.link ? slot.handed + 1 : 1;
      this.run(slot, this.queue.shift() as Job);
    }
    if (!this.busy()) this.idleWaiters.splice(0).forEach((w) => w());
  }

  /**
   * Where the next message goes: an idle slot first (a new message starts at once), else a link
   * with room behind its message (a PipelinedSession sends the next envelope behind its data).
   * Only once the server's pace is known: a message behind a slow one is handed back at the
   * stall point (see `deliver`), and until then nothing is judged slow.
   */
  private freeSlot(): Slot | undefined {
    const depth = (link: SmtpLink) => (this.pace.known ? link.depth : 1);
    const takes = (slot: Slot, inFlight: number) =>
      slot.inFlight === inFlight && (slot.link ? inFlight < depth(slot.link) && slot.handed < this.maxMessagesPerConnection : inFlight === 0);
    return this.slots.find((slot) => takes(slot, 0)) ?? this.slots.find((slot) => takes(slot, 1));
  }

  private busy(): boolean {
    return this.stalled.size > 0 || this.slots.some((s) => s.inFlight > 0);
  }

  private release(slot: Slot): void {
    slot.inFlight--;
    if (slot.inFlight === 0 && slot.stalled) {
      // Its place in the pool went to a spare: this connection ends with its messages.
      this.stalled.delete(slot);
      void quit(slot);
    } else if (slot.inFlight === 0 && slot.handed >= this.maxMessagesPerConnection) {
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
    this.slots[index] = emptySlot();
    job.onStall?.();
    this.pump();
    return true;
  }

  private run(slot: Slot, job: Job): void {
    // A link at hand takes the message now, in the same turn: a PipelinedSession then writes its
    // envelope with the data it is about to write.
    if (slot.link) return this.deliver(slot, slot.link, job, true);
    this.connector.open(slot).then(
      (link) => this.deliver(slot, link, job, false),
      (err) => {
        job.reject(err);
        this.release(slot);
      },
    );
  }

  private deliver(slot: Slot, link: SmtpLink, job: Job, reused: boolean): void {
    const started = process.hrtime.bigint();
    let answered = false;
    let givenUpAfter = 0;
    const timers: NodeJS.Timeout[] = [];
    // Every wait below ends here once the message has its answer (or was given up).
    const after = (ms: number, fn: () => void) => timers.push(afterPendingReplies(ms, () => answered || fn()));
    const finish = (settle: () => void) => {
      answered = true;
      timers.forEach(clearTimeout);
      settle();
      this.release(slot);
    };
    // The server took the message (or part of it) and went silent: this message fails, transient
    // when its data went out (the server's verdict on it is missing, as with a 4xx), and the
    // connection, whose session state is now unknown, is dropped. Not an outage: the other
    // connections are answering.
    const giveUp = (ms: number) => {
      givenUpAfter = ms;
      drop(slot); // a PipelinedSession answers the message now, telling whether its data went out
      // nodemailer's client does not answer after a close, nor tell: its data may have gone out.
      if (!answered) finish(() => job.reject(noAnswer(ms, true)));
    };
    after(this.messageTimeout, () => giveUp(this.messageTimeout));
    // Slower than this server's usual pace (AnswerPace): a spare takes the connection's place while
    // the message waits on; with no spare free, it is given up at the give-up point, but only when
    // the server plainly answered others meanwhile: a message handed over after it was answered,
    // and, since it was handed over, four times as many answers as connections (the messages
    // already in flight then account for at most two times: two per pipelined connection). Not
    // when the server is slow for all (a load spike, a pause): then every message would be given
    // up and sent again, though the server may take each.
    const { stallMs, giveUpMs } = this.pace;
    const answersAtStart = this.answers;
    const giveUpIfPassedOver = () => {
      const answeredOthers = this.answers - answersAtStart >= 4 * (this.slots.length + (this.options.spareConnections ?? 0));
      if (this.newestAnsweredStart > started && answeredOthers) giveUp(giveUpMs);
      else after(giveUpMs - stallMs, giveUpIfPassedOver);
    };
    if (stallMs < this.messageTimeout) {
      after(stallMs, () => {
        // Whatever waits behind a slow message goes to another connection (this one, if it waited).
        link.giveBack?.();
        if (answered) return;
        if (this.stall(slot, job) || giveUpMs >= this.messageTimeout) return;
        after(giveUpMs - stallMs, giveUpIfPassedOver);
      });
    }
    // A reused connection that failed a message the server cannot have taken (nothing of it went
    // out, or the server refused it): one more try on a fresh connection cannot duplicate it.
    const retriedOnce = (untaken: boolean) => {
      if (!reused || job.retried || !untaken) return false;
      job.retried = true;
      this.queue.unshift(job);
      return true;
    };
    link.send(job.envelope, job.message, (err, response, dataWritten) => {
      if (answered) return; // given up already (a late reply or the close of the dropped connection)
      if (givenUpAfter) {
        // E.g. a reset or an envelope the server never answered.
        return finish(() => retriedOnce(!dataWritten) || job.reject(noAnswer(givenUpAfter, dataWritten)));
      }
      if (err?.behind) {
        // It waited behind a message whose connection ended: nothing of it was decided, it goes first.
        return finish(() => this.queue.unshift(job));
      }
      this.observeReply(started, err ? err.responseCode : 250);
      if (!err) return finish(() => job.resolve(response));
      const reply = typeof err.responseCode === 'number';
      if (reply && err.responseCode !== 421 && (err.code === 'EENVELOPE' || err.code === 'EMESSAGE')) {
        // The server refused this message; the link has reset the session.
        return finish(() => job.reject(SmtpFailure.from(err)));
      }
      drop(slot);
      // 421 is the server closing the session (going down, too busy), not a verdict on this
      // recipient: like a dropped connection, it comes out as a connection error.
      const closing = err.responseCode === 421;
      finish(() => {
        // E.g. a reused connection the server had closed meanwhile.
        if (retriedOnce(closing || !dataWritten)) return;
        if (reply && !closing) {
          job.reject(SmtpFailure.from(err));
        } else {
          // No verdict. After the message's data went out the failure may be this message's doing
          // (a server that drops the connection on it every time), so the sender counts the attempt.
          job.reject(SmtpFailure.unreachable(err, err.code, { dataSent: dataWritten }));
        }
      });
    });
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
