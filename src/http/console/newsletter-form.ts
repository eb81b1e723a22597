import type { Newsletter } from '../../newsletters/newsletter';

/** The newsletter form's fields as the browser sends them: text, and checkboxes present or not. */
export type NewsletterFormValues = Record<string, string | boolean>;

const TEXT_FIELDS = ['name', 'description', 'cron', 'timeZone', 'fromName', 'replyTo'] as const;
const CHECKBOXES = ['offered', 'publicArchive'] as const;

/**
 * The form's values as the admin API's body, so the API's one validation (newsletter-input.ts)
 * judges them: numbers from their digits (anything else goes as given, for the rule to name),
 * categories from a comma-separated list, an unticked checkbox as false. The slug and kind are
 * sent only on create: they cannot change.
 */
export function newsletterInput(body: Record<string, unknown>, mode: 'create' | 'edit'): Record<string, unknown> {
  const values = formValues(body, mode);
  const input: Record<string, unknown> = {};
  for (const field of mode === 'create' ? ['slug', 'kind', ...TEXT_FIELDS] : TEXT_FIELDS) {
    if (typeof values[field] === 'string') input[field] = values[field];
  }
  // The schedule field is a digest's; a new alert ignores what it holds.
  if (mode === 'create' && values.kind === 'alert') delete input.cron;
  for (const field of CHECKBOXES) input[field] = values[field] === true;
  for (const field of ['maxArticles', 'position'] as const) {
    const raw = String(values[field] ?? '').trim();
    // Left empty: the default on create (20 articles, after the others); on edit, unchanged.
    if (raw !== '') input[field] = /^-?\d{1,9}$/.test(raw) ? Number(raw) : raw;
  }
  input.categories = String(values.categories ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  return input;
}

/** What the form shows again after a refusal: the values as typed. */
export function formValues(body: Record<string, unknown>, mode: 'create' | 'edit'): NewsletterFormValues {
  const values: NewsletterFormValues = {};
  const fields = [...(mode === 'create' ? ['slug', 'kind'] : []), ...TEXT_FIELDS, 'maxArticles', 'position', 'categories'];
  for (const field of fields) if (typeof body[field] === 'string') values[field] = body[field];
  for (const field of CHECKBOXES) values[field] = body[field] !== undefined;
  return values;
}

/** A stored newsletter as the form's values. */
export function valuesOf(n: Newsletter): NewsletterFormValues {
  return {
    slug: n.slug,
    kind: n.kind,
    name: n.name,
    description: n.description,
    cron: n.cron ?? '',
    timeZone: n.timeZone,
    fromName: n.fromName ?? '',
    replyTo: n.replyTo ?? '',
    maxArticles: String(n.maxArticles),
    position: String(n.position),
    categories: n.categories.join(', '),
    offered: n.offered,
    publicArchive: n.publicArchive,
  };
}

/** A new newsletter's form: the defaults of the API. */
export const NEW_NEWSLETTER: NewsletterFormValues = {
  kind: 'digest',
  cron: '0 7 * * *',
  timeZone: 'UTC',
  maxArticles: '20',
  offered: true,
  publicArchive: true,
};
