import type { Actor } from '../accounts/actor';
import type { AuditLog } from '../accounts/audit-log';
import type { Article } from './article-repository';
import type { ArticleService } from './article-service';

/**
 * The console's changes to articles: the admin API's use cases (same validation, same breaking-news
 * alert), each recorded in the audit log with who made it.
 */
export class AuditedArticles {
  constructor(private readonly deps: { articles: Pick<ArticleService, 'get' | 'replace' | 'patch' | 'remove'>; audit: Pick<AuditLog, 'record'> }) {}

  /** Every field given again (the edit form), as `PUT /api/admin/articles/:id`. */
  async edit(actor: Actor, id: number, input: unknown): Promise<Article> {
    const article = await this.deps.articles.replace(id, input);
    await this.deps.audit.record(actor, 'article_edited', { type: 'article', id }, { title: article.title, breaking: article.breaking });
    return article;
  }

  /** As `PATCH {"breaking": true}`: the alert newsletters it matches get it at once, once. */
  async markBreaking(actor: Actor, id: number): Promise<Article> {
    const article = await this.deps.articles.patch(id, { breaking: true });
    await this.deps.audit.record(actor, 'article_marked_breaking', { type: 'article', id }, { title: article.title });
    return article;
  }

  async remove(actor: Actor, id: number): Promise<Article> {
    const article = await this.deps.articles.get(id);
    await this.deps.articles.remove(id);
    await this.deps.audit.record(actor, 'article_deleted', { type: 'article', id }, { title: article.title, url: article.url });
    return article;
  }
}
