import { escapeHtml, Placeholders } from '../../src/mail/personalize';
import { simpleParser } from 'mailparser';
import { MessageScratch, PreparedDigestMime, newsletterMimeSettings, type DigestMimeSettings } from '../../src/mail/digest-mime';

/**
 * The base64 fill encodes the literal text once per digest (for each of the 3 ways it can sit
 * against a 3-byte boundary) and only the bytes around each value per recipient. Whatever the
 * lengths, the decoded body must be exactly the plain substitution.
 */

const settings = { from: 'The Courier <news@courier.test>', listId: 'daily.courier.test' };

// Literal pieces: empty, shorter than a 3-byte group, multi-byte characters across group edges.
const literals = ['', 'a', 'é', 'a€', 'Hello 😀 wörld, a longer line of text that runs past one base64 line of 76 characters.\n'];
// Values of every length mod 3 (in bytes), multi-byte ones, and characters the HTML part escapes.
const values = ['', 'u', 'ü', 'uv', '€', '😀x', 'https://news.test/unsubscribe?s=7.A&b="c"'];

/**
 * The two base64 bodies of a filled message (text, html), decoded; `malformed` names what breaks
 * the format: a line over 76 characters or not ended by CRLF, padding before the end.
 */
function bodies(raw: Buffer): { text: string; html: string; malformed: string[] } {
  const malformed: string[] = [];
  const parts = raw.toString('latin1').split('Content-Transfer-Encoding: base64\r\n\r\n').slice(1);
  if (parts.length !== 2) malformed.push(`${parts.length} base64 parts`);
  const [text = '', html = ''] = parts.map((part) => {
    const lines = part.slice(0, part.indexOf('--')).split('\r\n');
    if (lines.pop() !== '') malformed.push('a line without CRLF');
    if (lines.some((line) => line.length > 76)) malformed.push('a line over 76 characters');
    const b64 = lines.join('');
    // Padding only at the very end: the segments join into one well-formed base64 text.
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) malformed.push('not one base64 text');
    return Buffer.from(b64, 'base64').toString('utf8');
  });
  return { text, html, malformed };
}

/** The one place this test calls the public fill: one recipient with both personal links. */
function fill(mime: PreparedDigestMime, unsubscribeUrl: string, preferencesUrl: string): Buffer {
  return mime.fill({ to: 'reader@example.test', values: { unsubscribeUrl, preferencesUrl }, listUnsubscribe: unsubscribeUrl }).raw;
}

describe('PreparedDigestMime.fill (base64 bodies)', () => {
  test('when values of every length mod 3, multi-byte characters and empty values meet literals of every length, then each decoded body is exactly the plain substitution', () => {
    let checked = 0;
    for (const a of literals) {
      for (const b of literals) {
        for (const c of literals) {
          const placeholders = Placeholders.create();
          const template = `${a}${placeholders.token('unsubscribeUrl')}${b}${placeholders.token('preferencesUrl')}${c}`;
          const mime = new PreparedDigestMime(settings, {
            subject: 'Today',
            text: placeholders.seal(template),
            html: placeholders.seal(`<p>${template}</p>`),
          });
          for (const unsubscribeUrl of values) {
            for (const preferencesUrl of values) {
              const got = bodies(fill(mime, unsubscribeUrl, preferencesUrl));
              const want = {
                text: `${a}${unsubscribeUrl}${b}${preferencesUrl}${c}`,
                html: `<p>${a}${escapeHtml(unsubscribeUrl)}${b}${escapeHtml(preferencesUrl)}${c}</p>`,
                malformed: [],
              };
              // One comparison per case (thousands of cases); on a mismatch it shows the whole case.
              if (got.text !== want.text || got.html !== want.html || got.malformed.length) expect(got).toEqual(want);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBe(literals.length ** 3 * values.length ** 2);
  });

  test('when a placeholder appears more than once or not at all, then each occurrence is filled and a body without any is unchanged', () => {
    const placeholders = Placeholders.create();
    const u = placeholders.token('unsubscribeUrl');
    const mime = new PreparedDigestMime(settings, {
      subject: 'Today',
      text: placeholders.seal(`${u}|${u}|€${u}`),
      html: placeholders.seal('<p>No links here: ünïcödé</p>'),
    });
    expect(bodies(fill(mime, 'x😀', 'p'))).toEqual({
      text: 'x😀|x😀|€x😀',
      html: '<p>No links here: ünïcödé</p>',
      malformed: [],
    });
  });

  test('when copies are filled into one scratch, then each is byte for byte the copy filled on its own, in the same memory, grown when a longer one comes', () => {
    const placeholders = Placeholders.create();
    const u = placeholders.token('unsubscribeUrl');
    const mime = new PreparedDigestMime(settings, { subject: 'Today', text: placeholders.seal(`Read ${u}\n`), html: placeholders.seal(`<a href="${u}">x</a>`) });
    const recipient = (n: string) => ({ to: 'reader@example.test', values: { unsubscribeUrl: `https://news.test/u/${n}` }, listUnsubscribe: 'https://news.test/u', messageIdLocalPart: 'd1' });
    // The Date header follows the clock's second: compared without it.
    const own = (n: string) => mime.fill(recipient(n)).raw.toString('latin1').replace(/\r\nDate: [^\r]*/, '');
    const scratch = new MessageScratch();
    const inScratch = (n: string) => {
      const raw = mime.fill(recipient(n), scratch).raw;
      return { raw, text: raw.toString('latin1').replace(/\r\nDate: [^\r]*/, '') };
    };
    const first = inScratch('1');
    expect(first.text).toBe(own('1'));
    const longer = inScratch('9'.repeat(500));
    expect(longer.text).toBe(own('9'.repeat(500)));
    expect(longer.raw.buffer).not.toBe(first.raw.buffer);
    const shorter = inScratch('2');
    expect(shorter.text).toBe(own('2'));
    expect(shorter.raw.buffer).toBe(longer.raw.buffer);
  });
});

describe('newsletterMimeSettings', () => {
  const base = { from: 'The Courier <news@courier.test>', listId: 'courier.test', replyTo: 'desk@courier.test' };
  const headersOf = async (settings: DigestMimeSettings) => {
    const raw = new PreparedDigestMime(settings, { subject: 'S', html: '<p>x</p>', text: 'x' }).fill({
      to: 'r@example.test',
      values: {},
      listUnsubscribe: 'https://courier.test/u',
    }).raw;
    return simpleParser(raw);
  };

  test('when the newsletter has a sender name and Reply-To, then they replace the configured ones on the configured address, and List-Id names it', async () => {
    const mail = await headersOf(newsletterMimeSettings(base, { slug: 'sports', name: 'Sport "Extra" & Co', fromName: 'Sportredaktion Zürich', replyTo: 'sport@courier.test' }));
    expect(mail.from?.value).toEqual([{ name: 'Sportredaktion Zürich', address: 'news@courier.test' }]);
    expect(mail.replyTo?.value).toEqual([{ name: '', address: 'sport@courier.test' }]);
    expect(mail.headerLines.find((h) => h.key === 'list-id')?.line).toBe('List-Id: "Sport \\"Extra\\" & Co" <sports.courier.test>');
  });

  test('when the newsletter has none, then the configured sender and Reply-To stay', async () => {
    const mail = await headersOf(newsletterMimeSettings(base, { slug: 'daily', name: 'Daily', fromName: null, replyTo: null }));
    expect(mail.from?.value).toEqual([{ name: 'The Courier', address: 'news@courier.test' }]);
    expect(mail.replyTo?.value).toEqual([{ name: '', address: 'desk@courier.test' }]);
    expect(mail.headerLines.find((h) => h.key === 'list-id')?.line).toBe('List-Id: "Daily" <daily.courier.test>');
  });
});
