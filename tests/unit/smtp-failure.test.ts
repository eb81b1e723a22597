import { failureKind, SmtpFailure } from '../../src/mail/mailer';

/** An error shaped as nodemailer's SMTP client makes them (see its _formatError). */
function clientError(message: string, fields: { code?: string; responseCode?: number; response?: string }): Error {
  return Object.assign(new Error(message), fields);
}

describe('the SMTP failure of the mail layer', () => {
  test.each<[string, SmtpFailure['kind'], Error]>([
    ['a 550 to RCPT TO', 'permanent', clientError('Recipient command failed', { code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 no such user' })],
    ['a 554 after DATA', 'permanent', clientError('Message failed', { code: 'EMESSAGE', responseCode: 554, response: '554 rejected as spam' })],
    ['a 451 to RCPT TO', 'transient', clientError('Recipient command failed', { code: 'EENVELOPE', responseCode: 451, response: '451 try later' })],
    ['a 452 after DATA', 'transient', clientError('Message failed', { code: 'EMESSAGE', responseCode: 452, response: '452 mailbox full' })],
    ['a 421 (the server closes the session)', 'unreachable', clientError('Message failed', { code: 'EMESSAGE', responseCode: 421, response: '421 shutting down' })],
    ['a refused connection', 'unreachable', clientError('connect ECONNREFUSED 127.0.0.1:25', { code: 'ESOCKET' })],
    ['a connection timeout', 'unreachable', clientError('Connection timeout', { code: 'ETIMEDOUT' })],
    ['a greeting that never came', 'unreachable', clientError('Greeting never received', { code: 'ETIMEDOUT' })],
    ['a connection closed mid-send', 'unreachable', clientError('Connection closed unexpectedly', { code: 'ECONNECTION' })],
  ])('when the SMTP client fails with %s, then the failure is %s', (_name, kind, err) => {
    const failure = SmtpFailure.from(err);
    expect(failure).toBeInstanceOf(SmtpFailure);
    expect(failure.kind).toBe(kind);
    expect(failureKind(failure)).toBe(kind);
    expect(failure.message).toBe(err.message);
    expect(failure.code).toBe((err as { code?: string }).code);
    expect(failure.responseCode).toBe((err as { responseCode?: number }).responseCode);
    expect(failure.response).toBe((err as { response?: string }).response);
    expect(failure.cause).toBe(err);
  });

  test('when a failure is classified again, then it stays the same failure', () => {
    const failure = SmtpFailure.from(clientError('x', { responseCode: 550 }));
    expect(SmtpFailure.from(failure)).toBe(failure);
  });

  test('when a connection fails with a reply, then as unreachable it keeps the code and reply but no responseCode', () => {
    const failure = SmtpFailure.unreachable(clientError('Invalid greeting', { code: 'EPROTOCOL', responseCode: 554, response: '554 go away' }));
    expect(failure).toMatchObject({ kind: 'unreachable', code: 'EPROTOCOL', response: '554 go away', responseCode: undefined });
    expect(SmtpFailure.unreachable(new Error('pool closed'), 'ECLOSED')).toMatchObject({ kind: 'unreachable', code: 'ECLOSED' });
  });

  test('when a mailer fails with something that is no SmtpFailure, then it counts as unreachable, whatever it carries', () => {
    expect(failureKind(new Error('disk full'))).toBe('unreachable');
    expect(failureKind(clientError('not typed', { responseCode: 550 }))).toBe('unreachable');
    expect(failureKind('a string')).toBe('unreachable');
  });
});
