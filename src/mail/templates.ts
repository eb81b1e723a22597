import path from 'node:path';
import { Eta } from 'eta';
import juice from 'juice';

/** What every email shows of the publisher, from the configuration (see emailBrand in src/wiring.ts). */
export interface EmailBrand {
  /** MAIL_POSTAL_ADDRESS, in every footer. */
  postalAddress?: string;
  /** MAIL_LOGO_URL, the masthead's image. */
  logoUrl?: string;
  /** MAIL_REPLY_TO: when set, footers say that replies reach the newsroom. */
  replyTo?: string;
}

/**
 * Renders the emails of templates/emails with eta (the web pages are src/http/pages.ts). Output is
 * HTML-escaped unless a template opts out with `<%~ %>` (which every .txt.eta template does: plain
 * text is never HTML-escaped). Email HTML gets its CSS inlined (mail clients ignore <style> blocks);
 * inlining costs a millisecond or two, so callers that send many copies render once and personalise
 * (see personalize.ts).
 */
export class Templates {
  private readonly eta: Eta;

  constructor(
    dir: string,
    private readonly brand: EmailBrand = {},
  ) {
    this.eta = new Eta({ views: path.resolve(dir, 'emails'), autoEscape: true, cache: true, autoTrim: false });
  }

  /** An email: templates/emails/<name>.html.eta (CSS inlined) and <name>.txt.eta. */
  email(name: string, data: object): { html: string; text: string } {
    // Full names: eta appends its default `.eta` only to names without an extension.
    const it = { ...this.brand, ...data };
    const html = this.eta.render(`${name}.html.eta`, it);
    const text = this.eta.render(`${name}.txt.eta`, it);
    // No height attributes: juice would write height="auto" (invalid HTML) from `height: auto`.
    return { html: juice(html, { removeStyleTags: true, preserveMediaQueries: true, applyHeightAttributes: false }), text };
  }
}
