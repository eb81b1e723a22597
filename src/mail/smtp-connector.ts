import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import type { Logger } from '../shared/logger';
import { SmtpFailure } from './mailer';
import type { Slot } from './smtp-slot';
import { NodemailerLink, type SmtpLink } from './smtp-link';
import { PipelinedSession } from './smtp-session';
import { PATCHED_NODEMAILER, SERVER_SIDE, takeoverMismatch, takeoverUnfit } from './smtp-takeover';

/** Which client a pool's connections use: PipelinedSession ('fast') or nodemailer's own. */
export type DataPath = 'fast' | 'nodemailer';

export interface ConnectionTimeouts {
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
}

/**
 * Opens RawSmtpPool's connections to SMTP_URL: connect, greeting, EHLO and STARTTLS as the URL
 * asks (nodemailer's client), login when the URL carries credentials, then a PipelinedSession
 * takes each over (smtp-session.ts). When the takeover does not fit the installed nodemailer or a
 * connection (no PIPELINING, LMTP), the connections keep nodemailer's client, one message at a
 * time, and the logger hears why, once.
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

  constructor(
    url: string,
    timeouts: ConnectionTimeouts,
    /** How long nodemailer's client may wait for the answer to a reset (RawSmtpPool's messageTimeout). */
    private readonly resetTimeout: number,
    private readonly logger: Pick<Logger, 'error'>,
  ) {
    const { auth, ...rest } = parseConnectionUrl(url) as SMTPConnection.Options & { auth?: { user?: string; pass?: string } };
    this.auth = auth?.user ? { user: auth.user, pass: auth.pass ?? '' } : undefined;
    this.connectionOptions = { ...rest, ...timeouts };
    const mismatch = takeoverMismatch();
    this.fastData = !mismatch;
    if (mismatch) this.fallBack(mismatch);
  }

  /** The client the connections use: 'fast' (PipelinedSession) or nodemailer's own. */
  get dataPath(): DataPath {
    return this.fastData ? 'fast' : 'nodemailer';
  }

  /** How many messages' data went out through a PipelinedSession (what proves it is in use). */
  get fastDataWrites(): number {
    return this.fastWrites;
  }

  /** A connection ready to send, kept in `slot` (which forgets it when it ends). */
  open(slot: Slot): Promise<SmtpLink> {
    return new Promise((resolve, reject) => {
      const connection = new SMTPConnection(this.connectionOptions);
      let settled = false;
      const fail = (err: unknown) => {
        connection.close();
        if (!settled) {
          settled = true;
          reject(SmtpFailure.unreachable(err, (err as { code?: string }).code));
        }
      };
      // Errors outside a send (idle timeout, server hang-up) only retire the connection.
      connection.on('error', (err) => fail(err));
      connection.connect(() => {
        const done = () => {
          if (settled) return;
          settled = true;
          const link = this.link(connection);
          slot.link = link;
          link.onEnd(() => {
            if (slot.link === link) slot.link = undefined;
          });
          resolve(link);
        };
        if (!this.auth) return done();
        connection.login(this.auth, (err) => (err ? fail(err) : done()));
      });
    });
  }

  /** A PipelinedSession on the logged-in connection when it fits, else nodemailer's client. */
  private link(connection: SMTPConnection): SmtpLink {
    const unfit = this.fastData ? takeoverUnfit(connection) : 'fast path off';
    if (!unfit) return new PipelinedSession(connection, () => this.fastWrites++);
    if (this.fastData) this.fallBack(unfit);
    return new NodemailerLink(connection, this.resetTimeout);
  }

  /**
   * Once per connector, loudly: digests still go out, but slower, and someone should know why:
   * the server (nothing to do on Bulletin's side) or the installed nodemailer (pin it back).
   */
  private fallBack(reason: string): void {
    this.fastData = false;
    if (this.fallbackLogged) return;
    this.fallbackLogged = true;
    const nodemailer = new SMTPConnection({}).version;
    const why = SERVER_SIDE.includes(reason)
      ? reason
      : `the fast path does not fit nodemailer ${nodemailer} (${reason}); pin nodemailer to ${PATCHED_NODEMAILER} or re-prove src/mail/smtp-takeover.ts`;
    this.logger.error({ nodemailer, provenWith: PATCHED_NODEMAILER, reason }, `digests fall back to nodemailer's slower client: ${why}`);
  }
}
