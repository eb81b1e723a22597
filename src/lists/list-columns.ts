import { validationError } from '../shared/errors';

/**
 * Which columns of an imported file hold the address and the name. The exports people bring
 * are recognised by their headers (compared trimmed and without case):
 * - Mailchimp (audience export): "Email Address", "First Name", "Last Name", ...
 * - Substack (subscribers export): "email", "active_subscription", "expiry", "plan", ...; no name
 * - Ghost (members export): "id", "email", "name", "note", "subscribed_to_emails", ...
 * - a plain file: "email" and optionally "name".
 * An operator can name the columns instead (`email=<column>&name=<column>`).
 */

export type ListFormat = 'mailchimp' | 'substack' | 'ghost' | 'plain' | 'mapped';

export interface ListColumns {
  format: ListFormat;
  email: number;
  /** The name's parts, joined with a space (Mailchimp's first and last name); empty: no name. */
  name: number[];
}

const EMAIL_HEADERS = ['email address', 'email', 'e-mail', 'email_address', 'e-mail address'];
const NAME_HEADERS = ['name', 'full name', 'full_name'];
const FIRST_NAME_HEADERS = ['first name', 'first_name', 'firstname'];
const LAST_NAME_HEADERS = ['last name', 'last_name', 'lastname'];

export function detectColumns(header: readonly string[], mapping: { email?: string; name?: string }): ListColumns {
  const names = header.map(normalise);
  const find = (candidates: readonly string[]) => {
    for (const c of candidates) {
      const i = names.indexOf(c);
      if (i >= 0) return i;
    }
    return -1;
  };
  const named = (field: 'email' | 'name', column: string) => {
    const i = names.indexOf(normalise(column));
    if (i < 0) throw validationError({ [field]: `The file has no column "${column}"` });
    return i;
  };

  const email = mapping.email !== undefined ? named('email', mapping.email) : find(EMAIL_HEADERS);
  if (email < 0) throw validationError({ email: 'The file has no email column: name it with email=<column>' });
  let name: number[];
  if (mapping.name !== undefined) name = [named('name', mapping.name)];
  else {
    const full = find(NAME_HEADERS);
    name = full >= 0 ? [full] : [find(FIRST_NAME_HEADERS), find(LAST_NAME_HEADERS)].filter((i) => i >= 0);
  }
  return { format: mapping.email !== undefined || mapping.name !== undefined ? 'mapped' : formatOf(names), email, name };
}

function formatOf(names: string[]): ListFormat {
  if (names.includes('email address')) return 'mailchimp';
  if (names.includes('active_subscription')) return 'substack';
  if (names.includes('subscribed_to_emails')) return 'ghost';
  return 'plain';
}

function normalise(header: string): string {
  return header.trim().toLowerCase();
}
