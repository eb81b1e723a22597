import crypto from 'node:crypto';

/**
 * Webhook secrets must be stored to sign with, but a copy of the database (a backup, a dump handed
 * to a developer) should not be enough to forge Bulletin's webhooks. So they are kept encrypted
 * (AES-256-GCM) under a key derived from SECRET_KEY; keys in SECRET_KEY_PREVIOUS still open what
 * they sealed, so a rotation does not break existing webhooks (recreate them before dropping the old key).
 */
export class SecretBox {
  private readonly keys: Buffer[];

  constructor(secretKey: string, previousKeys: readonly string[] = []) {
    this.keys = [secretKey, ...previousKeys].map((k) => Buffer.from(crypto.hkdfSync('sha256', k, '', 'bulletin webhook secrets', 32)));
  }

  seal(plain: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.keys[0]!, iv);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), sealed.toString('base64')].join(':');
  }

  /** The plain secret; throws when no key opens it (SECRET_KEY changed without keeping the old one). */
  open(stored: string): string {
    const [version, iv, tag, sealed] = stored.split(':');
    if (version !== 'v1' || !iv || !tag || !sealed) throw new Error('webhook secret is not in a known sealed format');
    for (const key of this.keys) {
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
        decipher.setAuthTag(Buffer.from(tag, 'base64'));
        return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]).toString('utf8');
      } catch {
        // Sealed under another key: try the next.
      }
    }
    throw new Error('no SECRET_KEY opens this webhook secret (was SECRET_KEY changed without SECRET_KEY_PREVIOUS?)');
  }
}
