/** What the newsletter is called where MAIL_FROM has no display name ("news@courier.example"). */
export const DEFAULT_LIST_NAME = 'Bulletin';

/**
 * The list name: what pages, subjects and mastheads call the newsletter. It is the display name of
 * the sender ("The Daily Courier <news@courier.example>" -> "The Daily Courier"), so readers see
 * one name in their inbox's From column and in the email.
 */
export function listNameFrom(mailFrom: string): string {
  const name = /^\s*"?([^"<]+?)"?\s*</.exec(mailFrom)?.[1]?.trim();
  return name || DEFAULT_LIST_NAME;
}
