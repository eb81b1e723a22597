import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import type { Logger } from '../shared/logger';
import { SmtpFailure } from './mailer';
import type { Slot } from './smtp-slot';
import { fastDataMismatch, PATCHED_NODEMAILER, useFastData, type DataPath } from './smtp-data';

export interface ConnectionTimeouts {
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
}

/**
 * Opens RawSmtpPool's connections to SMTP_URL: connect, greeting, EHLO and STARTTLS as the URL
 * asks (nodemailer's client), login when the URL carries credentials, then the fast DATA step
 * (smtp-data.ts) on each. When that step does not fit the installed nodemailer or a connection,
 * the connections keep nodemailer's own DATA stream and the logger hears why, once.
 *
 * A connection that cannot be opened or logged in to fails as `unreachable`: not the recipient's
 * fault, so the sender treats it as an outage.
 */
export class SmtpConnector {
  private readonly connectionOptions: SMTPConnection.Options;
  private readonly auth: { user: string; pass: string } | undefined;
  private fastData: boolean;
  private fastWrites = 0;
  private fallbackLogged = false;

  constructor(url: string, timeouts: ConnectionTimeouts, private readonly logger: Pick<Logger, 'error'>) {
    const { auth, ...rest } = parseConnectionUrl(url) as SMTPConnection.Options & { auth?: { user?: string; pass?: string } };
    this.auth = auth?.user ? { user: auth.user, pass: auth.pass ?? '' } : undefined;
    this.connectionOptions = { ...rest, ...timeouts };
    const mismatch = fastDataMismatch();
    this.fastData = !mismatch;
    if (mismatch) this.fallBack(mismatch);
  }

  /** The DATA step the connections use: 'fast' (smtp-data.ts) or nodemailer's own stream. */
  get dataPath(): DataPath {
    return this.fastData ? 'fast' : 'nodemailer';
  }

  /** How many messages went out through the fast DATA step (what proves it is the one in use). */
  get fastDataWrites(): number {
    return this.fastWrites;
  }

  /** A connection ready to send, kept in `slot` (which forgets it when it closes). */
  open(slot: Slot): Promise<SMTPConnection> {
    return new Promise((resolve, reject) => {
      const connection = new SMTPConnection(this.connectionOptions);
      let settled = false;
      const fail = (err: unknown) => {
        if (slot.connection === connection) slot.connection = undefined;
        connection.close();
        if (!settled) {
          settled = true;
          reject(SmtpFailure.unreachable(err, (err as { code?: string }).code));
        }
      };
      // Errors outside a send (idle timeout, server hang-up) only retire the connection.
      connection.on('error', (err) => fail(err));
      connection.once('end', () => {
        if (slot.connection === connection) slot.connection = undefined;
      });
      connection.connect(() => {
        if (this.fastData && !useFastData(connection, () => this.fastWrites++)) {
          this.fallBack('the connection is LMTP or its socket cannot be corked');
        }
        const done = () => {
          if (settled) return;
          settled = true;
          slot.connection = connection;
          slot.sent = 0;
          resolve(connection);
        };
        if (!this.auth) return done();
        connection.login(this.auth, (err) => (err ? fail(err) : done()));
      });
    });
  }

  /** Once per connector, loudly: digests still go out, but slower, and someone should know why. */
  private fallBack(reason: string): void {
    this.fastData = false;
    if (this.fallbackLogged) return;
    this.fallbackLogged = true;
    const nodemailer = new SMTPConnection({}).version;
    this.logger.error(
      { nodemailer, provenWith: PATCHED_NODEMAILER, reason },
      `digests fall back to nodemailer's slower DATA stream: the fast DATA step does not fit nodemailer ${nodemailer} (${reason}); ` +
        `pin nodemailer to ${PATCHED_NODEMAILER} or re-prove src/mail/smtp-data.ts`,
    );
  }
}
