/**
 * Just enough MIME to read a multipart/report (RFC 6522): the DSN (RFC 3464) or ARF (RFC 5965)
 * parts and the returned original's headers. mailparser cannot serve here: it folds
 * message/delivery-status into the text body and drops its field groups. Everything is read as
 * latin1 so no byte is lost; the fields Bulletin reads (addresses, status codes, Message-IDs) are ASCII.
 */

export interface MimeEntity {
  /** Header fields by lower-case name, in order, unfolded. */
  headers: Map<string, string[]>;
  /** The body after its transfer encoding is undone. */
  body: string;
}

/** The first value of a header field, or undefined. */
export function header(entity: Pick<MimeEntity, 'headers'>, name: string): string | undefined {
  return entity.headers.get(name.toLowerCase())?.[0];
}

export function readEntity(text: string): MimeEntity {
  const split = /\r?\n\r?\n/.exec(text);
  const head = split ? text.slice(0, split.index) : text;
  const rest = split ? text.slice(split.index + split[0].length) : '';
  const headers = readFields(head);
  return { headers, body: decodeBody(rest, headers.get('content-transfer-encoding')?.[0]) };
}

/** Header fields (a message's, or one group of a delivery-status body), continuation lines unfolded. */
export function readFields(block: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    fields.set(name, [...(fields.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return fields;
}

/** A delivery-status or feedback-report body: groups of fields separated by blank lines. */
export function readFieldGroups(body: string): Array<Map<string, string[]>> {
  return body
    .split(/\r?\n[ \t]*\r?\n/)
    .map(readFields)
    .filter((group) => group.size > 0);
}

/** The media type in lower case and its parameters (names in lower case, quotes removed). */
export function contentType(entity: Pick<MimeEntity, 'headers'>): { type: string; params: Record<string, string> } {
  const value = header(entity, 'content-type') ?? 'text/plain';
  const type = (value.split(';')[0] ?? '').trim().toLowerCase();
  const params: Record<string, string> = {};
  for (const m of value.matchAll(/;\s*([\w.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]+)/g)) {
    const raw = m[2] as string;
    params[(m[1] as string).toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return { type, params };
}

/** The parts of a multipart entity, or none. */
export function partsOf(entity: MimeEntity): MimeEntity[] {
  const { type, params } = contentType(entity);
  if (!type.startsWith('multipart/') || !params.boundary) return [];
  const delimiter = `--${params.boundary}`;
  const parts: MimeEntity[] = [];
  let current: string[] | undefined;
  for (const line of entity.body.split(/\r?\n/)) {
    if (line.startsWith(delimiter)) {
      if (current) parts.push(readEntity(current.join('\r\n')));
      current = line.slice(delimiter.length).startsWith('--') ? undefined : [];
      if (!current) break;
    } else current?.push(line);
  }
  return parts;
}

/**
 * The multipart/report in a message: the message itself, or one inside its multiparts (a fetcher
 * or a forwarder may have wrapped it); never one inside a returned message/rfc822.
 */
export function findReport(entity: MimeEntity, depth = 0): MimeEntity | undefined {
  const { type } = contentType(entity);
  if (type === 'multipart/report') return entity;
  if (!type.startsWith('multipart/') || depth > 5) return undefined;
  for (const part of partsOf(entity)) {
    const found = findReport(part, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Where an address is looked for in a header value: its start. An address has at most 254
 * characters, and the patterns below backtrack over what they are given (a value of 100,000
 * characters without an "@", which anyone can mail to a bounce address, took 22 s).
 */
const ADDRESS_FIELD_CHARS = 1000;

/** The bare address in a header value (`Name <a@b>`, `<a@b>`, `rfc822; a@b`). */
export function addressIn(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const v = value.slice(0, ADDRESS_FIELD_CHARS).replace(/^\s*[\w-]+\s*;\s*/, '');
  return (/<([^<>\s]+@[^<>\s]+)>/.exec(v)?.[1] ?? /([^\s<>,;"]+@[^\s<>,;"]+)/.exec(v)?.[1])?.trim();
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch (encoding?.trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('latin1');
    case 'quoted-printable':
      return body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    default:
      return body;
  }
}
