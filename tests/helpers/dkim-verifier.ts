import crypto from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify';

/**
 * An independent DKIM verifier for the tests: mailauth's (by nodemailer's author, but its own
 * canonicalisation code), in strict mode, asking this key pair's DNS record of a resolver of its
 * own instead of the network.
 */
export class DkimTestKey {
  readonly privateKeyPem: string;
  /** The TXT record a domain would publish at `<selector>._domainkey.<domain>`. */
  readonly dnsRecord: string;
  readonly lookups: string[] = [];

  constructor(readonly domain = 'example.test', readonly selector = 'bulletin', bits = 2048) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: bits });
    this.privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    this.dnsRecord = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
  }

  /** Each DKIM-Signature's result ('pass', 'fail', 'neutral'...), with what mailauth said of it. */
  async verify(message: Buffer | string): Promise<Array<{ result: string; comment?: string; signedHeaders?: string }>> {
    const resolver = async (name: string, type: string) => {
      this.lookups.push(`${type} ${name}`);
      if (type === 'TXT' && name === `${this.selector}._domainkey.${this.domain}`) return [[this.dnsRecord]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
    };
    const { results } = await dkimVerify(message, { resolver, strict: true } as never);
    return results.map((r) => {
      const status = r.status as { result: string; comment?: string };
      return { result: status.result, comment: status.comment, signedHeaders: (r as { signingHeaders?: { keys?: string } }).signingHeaders?.keys };
    });
  }
}
