import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface CapturedMail {
  to: string[];
  /** The envelope sender (MAIL FROM), where bounces go; '' for the null sender. */
  mailFrom: string;
  raw: string;
  parsed: ParsedMail;
  /** Header lines exactly as received (mailparser folds List-* headers into one key). */
  header(name: string): string[];
}

/**
 * A real SMTP peer on a free local port. Tests read what it received, and can make it refuse
 * messages (`reject`) to exercise transient (4xx) and permanent (5xx) failures.
 */
export class SmtpCapture {
  readonly messages: CapturedMail[] = [];
  private server!: SMTPServer;
  private waiters: Array<() => void> = [];
  /** Decides per recipient whether to refuse: return an SMTP code (e.g. 451, 550) or undefined. */
  reject: (recipient: string) => number | undefined = () => undefined;
  /**
   * While set, a slow server: each message is received (and listed in `messages`) but answered only
   * when this promise resolves, so the sender keeps it in flight until then.
   */
  answerAfter: Promise<void> | undefined;
  /**
   * Decides per recipient whether the server goes silent on a message: its data is taken but the
   * final dot never answered (the message is not listed in `messages`). `held` counts them.
   */
  silent: (recipient: string) => boolean = () => false;
  held = 0;
  port = 0;
  /** False: the server's EHLO does not offer PIPELINING (set before start). */
  offerPipelining = true;

  async start(port = 0): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      hidePIPELINING: !this.offerPipelining,
      logger: false,
      onRcptTo: (address, _session, callback) => {
        const code = this.reject(address.address);
        if (!code) return callback();
        const err = new Error(`${code} refused by test`) as Error & { responseCode: number };
        err.responseCode = code;
        return callback(err);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          if (this.silent(session.envelope.rcptTo[0]?.address ?? '')) {
            this.held++;
            return; // never answered: the client gives up on it
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          const parsed = await simpleParser(raw);
          this.messages.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            raw,
            parsed,
            header: (name) =>
              parsed.headerLines.filter((h) => h.key === name.toLowerCase()).map((h) => h.line.replace(/\r?\n[ \t]+/g, ' ').replace(/^[^:]+:\s*/, '')),
          });
          this.waiters.splice(0).forEach((w) => w());
          await this.answerAfter;
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    // A client killed mid-transaction (the crash tests) resets its connection, which smtp-server
    // reports as a server 'error': the client's story, not a reason to crash the test process.
    this.server.on('error', () => {});
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  to(address: string): CapturedMail[] {
    return this.messages.filter((m) => m.to.includes(address));
  }

  /** Resolves when a message matching `match` has arrived (or already had). */
  async waitFor(match: (m: CapturedMail) => boolean, timeoutMs = 10_000): Promise<CapturedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching email within ${timeoutMs} ms (received ${this.messages.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
