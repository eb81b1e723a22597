import type { Response } from 'express';

/**
 * For the pages that show an email (the web version, the outbox viewer): the email's images live
 * on the news site, so the page may load images from anywhere. The email sits in a sandboxed frame
 * without scripts, which inherits this policy; every other directive stays as strict as elsewhere.
 */
export function allowEmailImages(res: Response): void {
  const csp = res.getHeader('Content-Security-Policy');
  if (typeof csp === 'string') res.setHeader('Content-Security-Policy', csp.replace(/img-src [^;]*/, "img-src 'self' data: https: http:"));
}
