import type { Request, Response } from 'express';
import type { Pages } from '../pages';
import { pathId } from '../parse-input';
import { consoleOf } from './console-session';

/** The `:id` of a console path: anything but a row id is "No such <what>" (404), never a query. */
export function idIn(req: Request, what: string): number {
  return pathId(req.params.id, `No such ${what}`);
}

/** The console's sections, in the order of its navigation; `admin`: shown to admins only. */
export const SECTIONS = [
  { path: '/admin', name: 'Dashboard', admin: false },
  { path: '/admin/editions', name: 'Editions', admin: false },
  { path: '/admin/newsletters', name: 'Newsletters', admin: false },
  { path: '/admin/articles', name: 'Articles', admin: false },
  { path: '/admin/feeds', name: 'Feeds', admin: false },
  { path: '/admin/subscribers', name: 'Subscribers', admin: true },
  { path: '/admin/import', name: 'Import & export', admin: true },
  { path: '/admin/users', name: 'Users', admin: true },
  { path: '/admin/webhooks', name: 'Webhooks', admin: true },
  { path: '/admin/tokens', name: 'API tokens', admin: false },
  { path: '/admin/audit', name: 'Audit log', admin: true },
] as const;

/**
 * Renders templates/pages/console/<name>.eta with what every console page shows: the signed-in
 * user, the form token, the navigation and the flash message.
 */
export function sendConsolePage(pages: Pages, res: Response, name: string, data: object, status = 200): void {
  const { session, flash } = consoleOf(res);
  const user = session?.user;
  pages.send(
    res,
    `console/${name}`,
    {
      flash,
      csrfToken: session?.csrfToken,
      user: user ? { email: user.email, role: user.role } : undefined,
      sections: user ? SECTIONS.filter((s) => !s.admin || user.role === 'admin') : [],
      ...data,
    },
    status,
  );
}
