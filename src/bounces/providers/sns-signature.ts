import crypto from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import { malformed, parseJson, rejected, type WebhookRequest } from '../bounce-report';
import type { HttpsGet } from './https-get';

/**
 * Amazon SNS message signatures (docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):
 * RSA over "Key\nValue\n" lines of fixed fields in a fixed order, SHA1 for SignatureVersion 1,
 * SHA256 for 2, checked with the certificate at SigningCertURL. The certificate is only fetched
 * from https://sns.<region>.amazonaws.com/ (over TLS, so the host's certificate vouches for it),
 * and only for the topics configured: anyone can create an SNS topic and have AWS sign its
 * messages, so the TopicArn is what makes a message ours.
 */

const snsMessage = z.object({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1).max(255),
  TopicArn: z.string().min(1).max(1024),
  Message: z.string(),
  Timestamp: z.string().min(1).max(64),
  SignatureVersion: z.string(),
  Signature: z.string().min(1).max(4096),
  SigningCertURL: z.string().min(1).max(2048),
  Subject: z.string().optional(),
  Token: z.string().max(4096).optional(),
  SubscribeURL: z.string().max(4096).optional(),
});

export type SnsMessage = z.infer<typeof snsMessage>;

/** The message's fields in the order SNS signs them; Subject only when present. */
function stringToSign(m: SnsMessage): string {
  const keys =
    m.Type === 'Notification'
      ? (['Message', 'MessageId', ...(m.Subject !== undefined ? ['Subject'] : []), 'Timestamp', 'TopicArn', 'Type'] as const)
      : (['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const);
  return keys.map((k) => `${k}\n${m[k as keyof SnsMessage] ?? ''}\n`).join('');
}

const ALGORITHMS: Record<string, string> = { '1': 'sha1', '2': 'sha256' };

/** An https URL on sns.<region>.amazonaws.com (no other port, no credentials), or undefined. */
export function snsUrl(raw: string | undefined): URL | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  const ok = url.protocol === 'https:' && url.port === '' && !url.username && !url.password && /^sns\.[a-z0-9-]+\.amazonaws\.com$/.test(url.hostname);
  return ok ? url : undefined;
}

export class SnsVerifier {
  /** Certificates by URL: AWS rotates them rarely, so each is fetched once per process. */
  private readonly certificates = new Map<string, Promise<crypto.KeyObject>>();

  constructor(private readonly deps: { get: HttpsGet; topicArns: readonly string[] }) {}

  /** The SNS message of a request, verified; 400 if it is none, 401 if it is not from our topics or not signed by SNS. */
  async verify(request: WebhookRequest): Promise<SnsMessage> {
    const parsed = snsMessage.safeParse(parseJson(request.body));
    if (!parsed.success) throw malformed('is not an Amazon SNS message');
    const message = parsed.data;
    if (!this.deps.topicArns.includes(message.TopicArn)) throw rejected('topic not in BOUNCE_SES_TOPIC_ARNS');
    const algorithm = ALGORITHMS[message.SignatureVersion];
    if (!algorithm) throw rejected('unknown SignatureVersion');
    const certUrl = snsUrl(message.SigningCertURL);
    if (!certUrl) throw rejected('SigningCertURL is not https://sns.<region>.amazonaws.com/');
    const key = await this.certificate(certUrl);
    const valid = crypto.verify(algorithm, Buffer.from(stringToSign(message), 'utf8'), key, Buffer.from(message.Signature, 'base64'));
    if (!valid) throw rejected('bad signature');
    return message;
  }

  /** Confirms a subscription to one of our topics, as SNS asks: GET its SubscribeURL (on SNS's host only). */
  async confirm(message: SnsMessage): Promise<void> {
    const url = snsUrl(message.SubscribeURL);
    if (!url) throw rejected('SubscribeURL is not https://sns.<region>.amazonaws.com/');
    await this.deps.get(url).catch((err: unknown) => {
      throw new AppError('UNAVAILABLE', `Could not confirm the SNS subscription: ${String((err as Error)?.message ?? err)}`);
    });
  }

  private certificate(url: URL): Promise<crypto.KeyObject> {
    let key = this.certificates.get(url.href);
    if (!key) {
      if (this.certificates.size >= 32) this.certificates.clear();
      key = this.deps.get(url).then(
        (pem) => new crypto.X509Certificate(pem).publicKey,
        (err: unknown) => {
          // AWS unreachable is no verdict on the message: 503, and SNS retries.
          throw new AppError('UNAVAILABLE', `Could not fetch the SNS signing certificate: ${String((err as Error)?.message ?? err)}`);
        },
      );
      this.certificates.set(url.href, key);
      key.catch(() => this.certificates.delete(url.href));
    }
    return key;
  }
}
