import crypto from 'node:crypto';

/**
 * The DKIM private key (DKIM_PRIVATE_KEY) as crypto uses it: an RSA key in PEM, readable without a
 * passphrase, of at least 1024 bits (RFC 8301: verifiers refuse shorter ones). Here rather than in
 * src/mail so that the configuration can refuse a bad key at start-up with the same reason.
 */
export function readDkimKey(pem: string): crypto.KeyObject {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(pem);
  } catch (err) {
    throw new Error(`not a private key in PEM that can be read without a passphrase (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`must be an RSA key (rsa-sha256), not ${key.asymmetricKeyType}`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 1024) throw new Error(`has ${bits} bits; verifiers refuse fewer than 1024 (2048 is usual)`);
  return key;
}

/** A PEM put on one line with `\n` escapes (env files, container settings) gets its line breaks back. */
export function pemLineBreaks(value: string): string {
  return !value.includes('\n') && value.includes('\\n') ? value.replace(/\\n/g, '\n') : value;
}
