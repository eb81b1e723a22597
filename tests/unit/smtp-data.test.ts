import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import DataStream from 'nodemailer/lib/smtp-connection/data-stream';
import { PreparedDigestMime } from '../../src/mail/digest-mime';
import { smtpData } from '../../src/mail/smtp-data';
import { PATCHED_NODEMAILER, takeoverMismatch, takeoverUnfit } from '../../src/mail/smtp-takeover';

/** The bytes (see `bytes`) nodemailer's own DATA stream puts on the wire for a message written in these chunks. */
function nodemailerWire(chunks: Buffer[]): Promise<string> {
  const stream = new DataStream();
  const out: Buffer[] = [];
  stream.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise<string>((resolve, reject) => {
    stream.on('end', () => resolve(bytes(Buffer.concat(out))));
    stream.on('error', reject);
  });
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  return ended;
}

/** The bytes (see `bytes`) PipelinedSession writes for the message these chunks make up. */
function fastWire(chunks: Buffer[]): string {
  return bytes(Buffer.concat(smtpData(Buffer.concat(chunks))));
}

/** One character per byte (latin1): compared and diffed as strings, which Jest does fast. */
function bytes(b: Buffer): string {
  return b.toString('latin1');
}

/** Messages that exercise every rule of DATA: dot-stuffing, line endings, 8-bit, size. */
const crafted: Array<[string, Buffer]> = [
  ['a line starting with a dot', Buffer.from('.starts with a dot\r\nnext\r\n')],
  ['two dots at a line start', Buffer.from('..two dots\r\n')],
  ['a lone dot line in the middle', Buffer.from('before\r\n.\r\nafter\r\n')],
  ['a message that is only a dot line', Buffer.from('.\r\n')],
  ['the end-of-data sequence inside the body', Buffer.from('x\r\n\r\n.\r\n\r\n.\r\ny\r\n')],
  ['bare LF line endings and a dot after one', Buffer.from('a\nb\n.c\n')],
  ['bare CR line endings and a dot after one (SMTP smuggling)', Buffer.from('a\rb\r.c\r.\r')],
  ['mixed CR CR LF and LF CR', Buffer.from('a\r\r\nb\n\rc\r\n\n.d')],
  ['no final line break', Buffer.from('no final line break')],
  ['ending with a bare CR', Buffer.from('ends with cr\r')],
  ['ending with a bare LF', Buffer.from('ends with lf\n')],
  ['8-bit UTF-8', Buffer.from('Grüße — naïve ünïcødé 日本語\r\n.ßtarts with a dot\r\n€\n')],
  ['a very long line', Buffer.from(`${'x'.repeat(200_000)}\r\n.${'y'.repeat(5000)}\n`)],
  ['an empty message', Buffer.alloc(0)],
];

/** Random messages over the bytes that matter, from a fixed seed (the same cases every run). */
function fuzzed(count: number): Array<[string, Buffer]> {
  let seed = 0x2545f491;
  const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8);
  const alphabet = [0x0d, 0x0a, 0x2e, 0x61, 0xc3, 0xa9];
  return Array.from({ length: count }, (_, i) => {
    const bytes = Array.from({ length: next() % 40 }, () => alphabet[next() % alphabet.length] as number);
    return [`random message ${i}`, Buffer.from(bytes)];
  });
}

/** Every way of cutting a message in two, then 3-byte chunks: the edges land on CR, LF and dots. */
function chunkings(message: Buffer): Buffer[][] {
  const cuts: Buffer[][] = [[message]];
  if (message.length <= 64) {
    for (let i = 1; i < message.length; i++) cuts.push([message.subarray(0, i), message.subarray(i)]);
    const threes: Buffer[] = [];
    for (let i = 0; i < message.length; i += 3) threes.push(message.subarray(i, i + 3));
    cuts.push(threes);
  } else {
    // Long messages: cut right before, on and after each CR or LF near the start.
    for (const at of [1, 2, 3, message.indexOf(0x0d), message.indexOf(0x0d) + 1, message.indexOf(0x0a) + 1]) {
      if (at > 0 && at < message.length) cuts.push([message.subarray(0, at), message.subarray(at)]);
    }
  }
  return cuts;
}

describe('the fast DATA step against nodemailer DataStream', () => {
  test.each(crafted)('when a message has %s, then the bytes on the wire are the same', async (_name, message) => {
    const reference = await nodemailerWire([message]);
    for (const chunks of chunkings(message)) {
      expect(await nodemailerWire(chunks)).toBe(reference);
      expect(fastWire(chunks)).toBe(reference);
    }
  });

  test('when random messages of CR, LF, dots and 8-bit bytes are written whole or in 3-byte chunks, then the bytes are the same', async () => {
    for (const [name, message] of fuzzed(400)) {
      const threes: Buffer[] = [];
      for (let i = 0; i < message.length; i += 3) threes.push(message.subarray(i, i + 3));
      const reference = await nodemailerWire([message]);
      expect({ name, wire: fastWire([message]) }).toEqual({ name, wire: reference });
      expect({ name, wire: fastWire(threes) }).toEqual({ name, wire: reference });
    }
  });

  test('when a digest copy is filled, then the bytes on the wire are the same as nodemailer would write', async () => {
    const prepared = new PreparedDigestMime(
      { from: 'News <news@bulletin.test>', listId: 'news.bulletin.test', unsubscribeMailto: 'leave@bulletin.test' },
      { subject: 'Grüße.\r\n.dots', html: '<p>\n.dot ü</p>\r\n.\r\n%%unsubscribeUrl%%', text: '.\n.\r\n%%preferencesUrl%%\r' },
    );
    const { raw } = prepared.fill({ to: 'a@example.com', values: { unsubscribeUrl: 'https://x.test/u', preferencesUrl: 'https://x.test/p' }, listUnsubscribe: 'https://x.test/u' });
    expect(fastWire([raw])).toBe(await nodemailerWire([raw]));
  });
});

describe('the check of the nodemailer internals the session takeover uses', () => {
  test('when nodemailer is the version the takeover was proven with, then nothing is amiss', () => {
    expect(takeoverMismatch()).toBeUndefined();
  });

  /** A connection with one internal changed, as a new nodemailer release might change it. */
  function probeWith(change: (c: Record<string, unknown>) => void): SMTPConnection {
    const probe = new SMTPConnection({});
    change(probe as unknown as Record<string, unknown>);
    return probe;
  }

  test.each<[string, (c: Record<string, unknown>) => void, RegExp]>([
    ['another version', (c) => (c.version = '10.7.0'), /nodemailer is 10\.7\.0.*10\.6\.1/],
    ['_onSocketData gone', (c) => (c._onSocketData = undefined), /_onSocketData/],
    ['_onSocketClose gone', (c) => delete c._onSocketClose, /_onSocketClose/],
    ['_supportedExtensions no longer an array', (c) => (c._supportedExtensions = new Set()), /_supportedExtensions/],
    ['_responseActions no longer an array', (c) => (c._responseActions = new Map()), /_responseActions/],
    ['_remainder no longer a string', (c) => (c._remainder = []), /_remainder/],
    ['_socket gone', (c) => delete c._socket, /_socket/],
    ['options gone', (c) => (c.options = undefined), /options/],
  ])('when %s, then the mismatch is named', (_name, change, reason) => {
    expect(takeoverMismatch(probeWith(change))).toMatch(reason);
  });

  /** A connected-looking connection: a socket with nodemailer's listeners on it, offering `extensions`. */
  function connectedWith(extensions: string[], socket: object = new net.Socket()): SMTPConnection {
    const connection = new SMTPConnection({});
    const c = connection as unknown as Record<string, unknown>;
    c._socket = socket;
    c._supportedExtensions = extensions;
    if (socket instanceof net.Socket) {
      for (const [event, handler] of Object.entries({ data: '_onSocketData', timeout: '_onSocketTimeout', close: '_onSocketClose', end: '_onSocketEnd', error: '_onSocketError' })) {
        socket.on(event, c[handler] as () => void);
      }
    }
    return connection;
  }

  function withDataListenerMoved(): SMTPConnection {
    const connection = connectedWith(['PIPELINING']);
    const socket = (connection as unknown as { _socket: net.Socket })._socket;
    socket.removeAllListeners('data');
    socket.on('data', () => {});
    return connection;
  }

  test.each<[string, () => SMTPConnection, RegExp | undefined]>([
    ['a connected socket and PIPELINING', () => connectedWith(['PIPELINING']), undefined],
    ['a server without PIPELINING', () => connectedWith(['8BITMIME']), /PIPELINING/],
    ['a socket that cannot be corked', () => connectedWith(['PIPELINING'], { write() {} }), /corked/],
    ["nodemailer's data listener not on the socket", withDataListenerMoved, /listeners/],
  ])('when a connection has %s, then whether it may be taken over is said', (_name, connection, reason) => {
    if (reason) expect(takeoverUnfit(connection())).toMatch(reason);
    else expect(takeoverUnfit(connection())).toBeUndefined();
  });
});

describe('the nodemailer pin', () => {
  const root = path.resolve(__dirname, '../..');
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));

  test('when the project is installed, then nodemailer is exactly the version the fast DATA step was proven with', () => {
    const pkg = read('package.json');
    const lock = read('package-lock.json');
    expect(pkg.dependencies.nodemailer).toBe(PATCHED_NODEMAILER);
    expect(lock.packages[''].dependencies.nodemailer).toBe(PATCHED_NODEMAILER);
    expect(lock.packages['node_modules/nodemailer'].version).toBe(PATCHED_NODEMAILER);
    expect(new SMTPConnection({}).version).toBe(PATCHED_NODEMAILER);
  });
});
