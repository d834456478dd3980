/**
 * Endpoint signing secrets. We must be able to sign with them, so they cannot be
 * hashed like API keys. With ATENDER_WEBHOOK_SECRETS_KEY set (base64 of 32 bytes)
 * they are sealed with AES-256-GCM before they reach the database, so a copy of
 * the database alone does not reveal them; without it they are stored as-is and
 * the database must be protected like the key file would be.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** `whsec_` + base64 of 32 random bytes, as the Standard Webhooks spec has it. */
export function generateSigningSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

export class SecretBox {
  private readonly key: Buffer | null;

  constructor(keyBase64: string | null) {
    this.key = keyBase64 ? Buffer.from(keyBase64, 'base64') : null;
    if (this.key && this.key.length !== 32) throw new Error('ATENDER_WEBHOOK_SECRETS_KEY must be base64 of exactly 32 bytes');
  }

  seal(secret: string): string {
    if (!this.key) return `plain:${secret}`;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `gcm:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${sealed.toString('base64')}`;
  }

  open(stored: string): string {
    if (stored.startsWith('plain:')) return stored.slice('plain:'.length);
    const [scheme, iv, tag, sealed] = stored.split(':');
    if (scheme !== 'gcm' || !iv || !tag || !sealed) throw new Error('unreadable webhook secret');
    if (!this.key) throw new Error('webhook secrets are sealed but ATENDER_WEBHOOK_SECRETS_KEY is not set');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]).toString('utf8');
  }
}
