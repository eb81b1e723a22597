import path from 'node:path';
import type { Response } from 'express';
import { Eta } from 'eta';

/**
 * The web pages: templates/pages/<name>.eta, each of which picks its layout itself. Output is
 * HTML-escaped unless a template opts out with `<%~ %>`. Emails are rendered by src/mail/templates.ts.
 */
export class Pages {
  private readonly eta: Eta;

  constructor(
    dir: string,
    /** What every page may show, e.g. the list name. */
    private readonly shared: object = {},
  ) {
    this.eta = new Eta({ views: path.resolve(dir, 'pages'), autoEscape: true, cache: true, autoTrim: false });
  }

  render(name: string, data: object): string {
    return this.eta.render(name, { ...this.shared, ...data });
  }

  /** Answers with the page (status 200 unless told otherwise). */
  send(res: Response, name: string, data: object, status = 200): void {
    res.status(status).type('html').send(this.render(name, data));
  }
}
