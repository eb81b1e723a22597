import type { Socket } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';

/**
 * Whether a PipelinedSession (smtp-session.ts) may take over a nodemailer connection.
 *
 * Why take nodemailer's connection over rather than own a whole SMTP client (listmonk owns
 * smtppool): opening a connection is where SMTP_URL's variety lives, and nodemailer keeps all of
 * it. The takeover relies on private internals (ConnectionInternals), so it is pinned and proven:
 * - package.json pins nodemailer to exactly PATCHED_NODEMAILER (tests/unit/smtp-data.test.ts
 *   checks the pin);
 * - takeoverMismatch() checks the version and the shape of every internal used, once per pool,
 *   and takeoverUnfit() each connection; on a mismatch the pool keeps nodemailer's client and
 *   logs one error line;
 * - tests/integration/smtp-data-path.test.ts fails if a real send did not take this path and
 *   checks what a real smtp-server receives; tests/integration/smtp-session.test.ts drives the
 *   pipelining and its faults against a raw peer.
 * To upgrade nodemailer: change the pin and PATCHED_NODEMAILER together and run those tests.
 */

/** The nodemailer release the takeover was written for and proven against. */
export const PATCHED_NODEMAILER = '10.6.1';

/** The nodemailer internals the takeover reads (see takeoverMismatch). */
export interface ConnectionInternals {
  version: string;
  _socket: Socket | false | null;
  _onSocketData: (...args: unknown[]) => void;
  _onSocketTimeout: (...args: unknown[]) => void;
  _onSocketClose: (...args: unknown[]) => void;
  _onSocketEnd: (...args: unknown[]) => void;
  _onSocketError: (...args: unknown[]) => void;
  _supportedExtensions: string[];
  _responseActions: unknown[];
  _remainder: string;
  options: { lmtp?: boolean };
}

/**
 * Why no connection of the installed nodemailer may be taken over, or undefined when the takeover
 * fits. Checked once per pool on a connection that has not connected (nothing goes out), so a
 * changed internal means nodemailer's client from the start rather than a failure mid-send.
 */
export function takeoverMismatch(probe: SMTPConnection = new SMTPConnection({})): string | undefined {
  const c = probe as unknown as Partial<ConnectionInternals>;
  if (c.version !== PATCHED_NODEMAILER) return `nodemailer is ${String(c.version)}, the takeover is proven with ${PATCHED_NODEMAILER} only`;
  for (const [, handler] of SOCKET_HANDLERS) {
    if (typeof c[handler] !== 'function') return `${handler} is no longer a function`;
  }
  if (!Array.isArray(c._supportedExtensions)) return '_supportedExtensions is no longer an array';
  if (!Array.isArray(c._responseActions)) return '_responseActions is no longer an array';
  if (typeof c._remainder !== 'string') return '_remainder is no longer a string';
  if (!('_socket' in c)) return '_socket is gone';
  if (typeof c.options !== 'object' || c.options === null) return 'options is gone';
  return undefined;
}

/** The socket listeners nodemailer attaches once connected, which the takeover removes. */
export const SOCKET_HANDLERS = [
  ['data', '_onSocketData'],
  ['timeout', '_onSocketTimeout'],
  ['close', '_onSocketClose'],
  ['end', '_onSocketEnd'],
  ['error', '_onSocketError'],
] as const;

const LMTP = 'the connection is LMTP (SMTP_URL asks for it)';
const NO_PIPELINING = 'the SMTP server does not offer PIPELINING';
/** The reasons of takeoverUnfit that are the server's or SMTP_URL's, not nodemailer's. */
export const SERVER_SIDE: readonly string[] = [LMTP, NO_PIPELINING];

/**
 * Why this connection cannot be taken over (so it keeps nodemailer's client), or undefined. Its
 * socket must be nodemailer's, idle (no reply pending or half-read), and the server must offer
 * PIPELINING; LMTP answers per recipient and stays with nodemailer.
 */
export function takeoverUnfit(connection: SMTPConnection): string | undefined {
  const c = connection as unknown as ConnectionInternals;
  if (c.options.lmtp) return LMTP;
  if (!c._socket || typeof c._socket.cork !== 'function') return 'the connection has no socket that can be corked';
  if (!c._supportedExtensions.includes('PIPELINING')) return NO_PIPELINING;
  if (c._responseActions.length || c._remainder) return 'the connection still waits for a reply';
  const socket = c._socket as Socket;
  if (!SOCKET_HANDLERS.every(([event, handler]) => socket.listeners(event).includes(c[handler]))) {
    return "nodemailer's socket listeners are not where the takeover looks";
  }
  return undefined;
}
