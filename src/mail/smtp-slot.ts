import type { SmtpReplyClass } from '../metrics/metrics';
import { SmtpFailure } from './mailer';
import type { SmtpLink } from './smtp-link';

/** One of RawSmtpPool's connections, or the place for one. */
export interface Slot {
  link: SmtpLink | undefined;
  /** Messages handed to it and not answered yet (at most its link's depth; 1 while it opens). */
  inFlight: number;
  /** Messages handed to its current link. */
  handed: number;
  /** Its message stalled and a spare took its place: it ends with its messages (see `stall`). */
  stalled?: boolean;
}

export function emptySlot(): Slot {
  return { link: undefined, inFlight: 0, handed: 0 };
}

/** A message whose final answer did not come within `ms`. */
export function noAnswer(ms: number, dataSent: boolean): SmtpFailure {
  const message = `no answer to the message within ${ms} ms`;
  return dataSent
    ? new SmtpFailure('transient', message, { code: 'ETIMEDOUT', dataSent })
    : SmtpFailure.unreachable(new Error(message), 'ETIMEDOUT');
}

/** A final reply's class; none for no reply at all (a dropped connection, a timeout). */
export function replyClass(code: number | undefined): SmtpReplyClass | undefined {
  if (code === undefined) return undefined;
  if (code >= 200 && code < 300) return '2xx';
  if (code >= 400 && code < 500) return '4xx';
  if (code >= 500 && code < 600) return '5xx';
  return undefined;
}

export function drop(slot: Slot): void {
  const link = slot.link;
  slot.link = undefined;
  link?.close();
}

export function quit(slot: Slot): Promise<void> {
  const link = slot.link;
  slot.link = undefined;
  return link ? link.quit() : Promise.resolve();
}

/**
 * A timer for a wait on the server, run only after the replies already received: Node runs due
 * timers before it reads sockets, so after the process was held up (a long GC, a busy CPU) a plain
 * timeout would fire before the reply that came meanwhile is read, and a message the server took
 * would be given up and sent again. setImmediate runs after the next socket read (the poll phase).
 */
export function afterPendingReplies(ms: number, fn: () => void): NodeJS.Timeout {
  return setTimeout(() => setImmediate(fn), ms);
}
