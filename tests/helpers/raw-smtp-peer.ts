import net, { type AddressInfo } from 'node:net';

/** What a test may do at a message's final dot (RawPeerOptions.atDataEnd). */
export interface DataEnd {
  /** Takes the message: listed in `accepted`, answered 250. */
  answer(): void;
  /** Drops the connection without an answer. */
  drop(): void;
  /** Answers 421 and closes the connection. */
  closeWith421(): void;
}

export interface RawPeerOptions {
  /** At the final dot of a message to `to`; the default answers at once. */
  atDataEnd?: (to: string, end: DataEnd) => void;
  /** Hears every command line, before it is answered. */
  onCommand?: (line: string) => void;
  /** False: RSET is never answered, as a server that hangs after refusing a message. */
  answerReset?: boolean;
}

/**
 * A raw SMTP peer offering PIPELINING (smtp-server has no hook on RSET, nor on how commands were
 * grouped): it reads whatever the client writes, in any grouping, refuses `refused@` recipients,
 * and logs each connection's commands (`logs`: the verb, 'END <to>' at a final dot, and what had
 * already arrived behind a dropped one).
 */
export async function rawSmtpPeer(options: RawPeerOptions = {}) {
  const accepted: string[] = [];
  const logs: string[][] = [];
  const sockets = new Set<net.Socket>();
  const verb = (line: string) => line.split(':')[0] as string;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const log: string[] = [];
    logs.push(log);
    let buffered = '';
    let inData = false;
    let to: string | undefined;
    socket.write('220 peer ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffered.indexOf('\r\n.\r\n');
          if (end < 0) return;
          buffered = buffered.slice(end + 5);
          inData = false;
          const rcpt = to as string;
          log.push(`END ${rcpt}`);
          let ended = false;
          (options.atDataEnd ?? ((_, e) => e.answer()))(rcpt, {
            answer: () => {
              accepted.push(rcpt);
              socket.write('250 taken\r\n');
            },
            drop: () => {
              log.push(...buffered.split('\r\n').filter(Boolean).map(verb));
              ended = true;
              socket.destroy();
            },
            closeWith421: () => {
              ended = true;
              socket.end('421 closing now\r\n');
            },
          });
          if (ended) return;
          continue;
        }
        const eol = buffered.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffered.slice(0, eol);
        buffered = buffered.slice(eol + 2);
        log.push(verb(line));
        options.onCommand?.(line);
        const reply = answer(line);
        if (reply) socket.write(reply);
        if (reply.startsWith('221')) socket.end();
      }
    });
    /** The reply to one command line ('' for none). */
    function answer(line: string): string {
      switch (line.slice(0, 4).toUpperCase()) {
        case 'EHLO':
          return '250-peer\r\n250 PIPELINING\r\n';
        case 'MAIL':
          to = undefined;
          return '250 sender ok\r\n';
        case 'RCPT': {
          const rcpt = /<([^>]*)>/.exec(line)?.[1] ?? '';
          if (rcpt.startsWith('refused@')) return '550 no such user\r\n';
          to = rcpt;
          return '250 recipient ok\r\n';
        }
        case 'DATA':
          inData = to !== undefined;
          return inData ? '354 go ahead\r\n' : '554 no valid recipients\r\n';
        case 'RSET':
          to = undefined;
          return options.answerReset === false ? '' : '250 reset\r\n';
        case 'QUIT':
          return '221 bye\r\n';
        default:
          return '502 not here\r\n';
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted,
    logs,
    connections: () => logs.length,
    stop: () => {
      sockets.forEach((s) => s.destroy());
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
