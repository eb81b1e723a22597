import path from 'node:path';
import { Eta } from 'eta';
import juice from 'juice';

/**
 * Renders templates/ with eta. Output is HTML-escaped unless a template opts out with `<%~ %>`.
 * Email HTML gets its CSS inlined (mail clients ignore <style> blocks); inlining costs a millisecond
 * or two, so callers that send many copies render once and personalise (see personalize.ts).
 */
export class Templates {
  private readonly eta: Eta;

  constructor(dir: string) {
    this.eta = new Eta({ views: path.resolve(dir), autoEscape: true, cache: true, autoTrim: false });
  }

  /** A page: templates/pages/<name>.eta, which picks its layout itself. */
  page(name: string, data: object): string {
    return this.eta.render(`pages/${name}`, data);
  }

  /** An email: templates/emails/<name>.html.eta (CSS inlined) and <name>.txt.eta. */
  email(name: string, data: object): { html: string; text: string } {
    // Full names: eta appends its default `.eta` only to names without an extension.
    const html = this.eta.render(`emails/${name}.html.eta`, data);
    const text = this.eta.render(`emails/${name}.txt.eta`, data);
    return { html: juice(html, { removeStyleTags: true, preserveMediaQueries: true }), text };
  }
}
