import { categoryKey } from '../shared/categories';
import type { Logger } from '../shared/logger';
import type { ArticleService, ImportReport } from './article-service';
import { parseFeed } from './feed-parser';
import { applyFeedRules, NO_RULES, type FeedRules } from './feed-rules';

export interface FeedResult {
  url: string;
  ok: boolean;
  /** Set when the feed could not be fetched or parsed; the other feeds go on regardless. */
  error?: string;
  report?: ImportReport;
}

export interface FeedPollerOptions {
  articles: Pick<ArticleService, 'importMany'>;
  logger: Logger;
  /** BREAKING_FEED_CATEGORIES: an item carrying one of these (any case) is breaking news. */
  breakingCategories?: readonly string[];
  /** A slow feed must not hold the job (and pg-boss's slot) for long. */
  timeoutMs?: number;
  /** Larger bodies are cut off: a feed is a few hundred KB, anything bigger is a mistake or an attack. */
  maxBytes?: number;
  fetch?: typeof fetch;
}

/** Fetches RSS/Atom feeds and imports their items; used by the scheduled job (through FeedService) and tests. */
export class FeedPoller {
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly fetch: typeof fetch;
  private readonly breaking: ReadonlySet<string>;

  constructor(private readonly deps: FeedPollerOptions) {
    this.breaking = new Set((deps.breakingCategories ?? []).map(categoryKey));
    this.timeoutMs = deps.timeoutMs ?? 15_000;
    this.maxBytes = deps.maxBytes ?? 5 * 1024 * 1024;
    this.fetch = deps.fetch ?? fetch;
  }

  /** Polls every feed now, in parallel; never throws for one feed's failure. */
  async pollAll(urls: readonly string[]): Promise<FeedResult[]> {
    return Promise.all(urls.map((url) => this.pollOne(url)));
  }

  /** `feed`: a stored feed's id (recorded on its articles) and the rules the console maps for it. */
  async pollOne(url: string, feed: { id?: number; rules?: FeedRules } = {}): Promise<FeedResult> {
    try {
      const xml = await this.download(url);
      const items = parseFeed(xml, { baseUrl: url }).map((item) => applyFeedRules(item, feed.rules ?? NO_RULES, this.breaking));
      const report = await this.deps.articles.importMany(items, { feedId: feed.id });
      if (report.invalid.length) {
        this.deps.logger.warn({ feed: safeUrl(url), invalid: report.invalid.length }, 'feed items skipped as invalid');
      }
      this.deps.logger.info(
        { feed: safeUrl(url), created: report.created, updated: report.updated, unchanged: report.unchanged },
        'feed polled',
      );
      return { url, ok: true, report };
    } catch (err) {
      const error = reason(err);
      // The URL and a short reason only: never the body, which may be anything.
      this.deps.logger.warn({ feed: safeUrl(url), reason: error }, 'feed poll failed');
      return { url, ok: false, error };
    }
  }

  private async download(url: string): Promise<string> {
    const res = await this.fetch(url, {
      signal: AbortSignal.timeout(this.timeoutMs),
      headers: {
        accept: 'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5',
        'user-agent': 'Bulletin feed poller',
      },
      redirect: 'follow',
    });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length'));
    if (declared > this.maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`larger than ${this.maxBytes} bytes`);
    }
    return readCapped(res, this.maxBytes);
  }
}

/** Reads the body but stops at maxBytes, since Content-Length may be absent or wrong. */
async function readCapped(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new Error(`larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return decode(Buffer.concat(chunks), res.headers.get('content-type'));
}

/** The charset from Content-Type, else from the XML declaration, else UTF-8 (XML's default). */
function decode(bytes: Buffer, contentType: string | null): string {
  const declared =
    /charset=["']?([\w-]+)/i.exec(contentType ?? '')?.[1] ??
    /^\s*<\?xml[^>]*encoding=["']([\w-]+)["']/i.exec(bytes.subarray(0, 200).toString('latin1'))?.[1];
  try {
    return new TextDecoder(declared ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes); // unknown label
  }
}

function reason(err: unknown): string {
  const e = err as Error & { cause?: { code?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  if (e?.cause?.code) return `${e.message} (${e.cause.code})`;
  return e?.message ?? String(err);
}

/** Feed URLs may carry credentials (user:pass@ or ?token=): log origin and path only. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
