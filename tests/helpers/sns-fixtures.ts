import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Amazon SNS as far as a test can be: this machine cannot reach AWS, so an RSA key and a
 * self-signed certificate of our own sign the messages, written the way SNS writes them
 * (docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html), and a local HTTP
 * server serves the certificate and answers subscription URLs.
 */

export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:ses-bounces';
export const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem';

export interface SnsKeys {
  privateKey: crypto.KeyObject;
  certificatePem: string;
}

let keys: SnsKeys | undefined;

/** One RSA key and self-signed certificate per test process (openssl: Node cannot make certificates). */
export function snsKeys(): SnsKeys {
  if (keys) return keys;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-sns-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=sns.amazonaws.com',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    keys = {
      privateKey: crypto.createPrivateKey(fs.readFileSync(path.join(dir, 'key.pem'))),
      certificatePem: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
    return keys;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export type SnsFields = Record<string, string>;

/** Signs a message as SNS does: "Key\nValue\n" of the fields its Type signs, in that order. */
export function signSns(fields: SnsFields, version: '1' | '2' = '2', privateKey = snsKeys().privateKey): SnsFields {
  const order = fields.Type === 'Notification'
    ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
    : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = order.filter((k) => fields[k] !== undefined).map((k) => `${k}\n${fields[k]}\n`).join('');
  const signature = crypto.sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(text), privateKey).toString('base64');
  return { ...fields, SignatureVersion: version, Signature: signature, SigningCertURL: fields.SigningCertURL ?? CERT_URL };
}

/** An SNS Notification carrying `message` (an SES notification), signed. */
export function snsNotification(message: object, opts: { version?: '1' | '2'; id?: string; topic?: string; certUrl?: string } = {}): SnsFields {
  return signSns(
    {
      Type: 'Notification',
      MessageId: opts.id ?? crypto.randomUUID(),
      TopicArn: opts.topic ?? TOPIC_ARN,
      Message: JSON.stringify(message),
      Timestamp: new Date().toISOString(),
      UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x',
      ...(opts.certUrl ? { SigningCertURL: opts.certUrl } : {}),
    },
    opts.version,
  );
}

/**
 * The SES bounce notification of Amazon's documentation ("Amazon SES notification examples"),
 * with the recipient, type and our Message-ID put in.
 */
export function sesBounce(email: string, bounceType: 'Permanent' | 'Transient', opts: { messageId?: string; feedbackId?: string } = {}): object {
  return {
    notificationType: 'Bounce',
    bounce: {
      bounceType,
      bounceSubType: bounceType === 'Permanent' ? 'General' : 'MailboxFull',
      bouncedRecipients: [{ emailAddress: email, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
      timestamp: '2016-01-27T14:59:38.237Z',
      feedbackId: opts.feedbackId ?? `00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-${crypto.randomUUID()}`,
      remoteMtaIp: '127.0.2.0',
      reportingMTA: 'dsn; a8-70.smtp-out.amazonses.com',
    },
    mail: {
      timestamp: '2016-01-27T14:59:38.237Z',
      source: 'john@example.com',
      sourceArn: 'arn:aws:ses:us-east-1:888888888888:identity/example.com',
      sourceIp: '127.0.3.0',
      sendingAccountId: '123456789012',
      messageId: '00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000',
      destination: [email],
      headersTruncated: false,
      headers: [
        { name: 'From', value: '"John Doe" <john@example.com>' },
        { name: 'To', value: email },
        { name: 'Message-ID', value: opts.messageId ?? 'custom-message-ID' },
        { name: 'Subject', value: 'Hello' },
      ],
      commonHeaders: { from: ['John Doe <john@example.com>'], to: [email], messageId: opts.messageId ?? 'custom-message-ID', subject: 'Hello' },
    },
  };
}

/** The SES complaint notification of Amazon's documentation, for `email`. */
export function sesComplaint(email: string, opts: { messageId?: string; feedbackType?: string } = {}): object {
  return {
    notificationType: 'Complaint',
    complaint: {
      userAgent: 'AnyCompany Feedback Loop (V0.01)',
      complainedRecipients: [{ emailAddress: email }],
      complaintFeedbackType: opts.feedbackType ?? 'abuse',
      arrivalDate: '2016-01-27T14:59:38.237Z',
      timestamp: '2016-01-27T14:59:38.237Z',
      feedbackId: `000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-${crypto.randomUUID()}`,
    },
    mail: {
      timestamp: '2016-01-27T14:59:38.237Z',
      messageId: '000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000',
      source: 'john@example.com',
      destination: [email],
      headersTruncated: false,
      headers: [{ name: 'Message-ID', value: opts.messageId ?? 'custom-message-ID' }],
      commonHeaders: { messageId: opts.messageId ?? 'custom-message-ID' },
    },
  };
}

/**
 * A local server standing in for SNS's host: the certificate at any *.pem path, 200 for anything
 * else (a subscription URL). `httpsGet` sends the real https URL there and records it.
 */
export class FakeSnsHost {
  readonly fetched: string[] = [];
  private server!: http.Server;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      if (req.url?.includes('.pem')) res.writeHead(200, { 'Content-Type': 'application/x-pem-file' }).end(snsKeys().certificatePem);
      else res.writeHead(200, { 'Content-Type': 'text/xml' }).end('<ConfirmSubscriptionResponse/>');
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  readonly httpsGet = async (url: URL): Promise<string> => {
    this.fetched.push(url.href);
    const { port } = this.server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`);
    if (!res.ok) throw new Error(`status ${res.status}`);
    return res.text();
  };

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
