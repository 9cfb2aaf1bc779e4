import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { writeSecretFile } from '../embedded/embedded-state.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts connection secrets at rest with AES-256-GCM. The associated data binds a
 * ciphertext to its place (environment and role), so a row copied elsewhere won't decrypt.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** The key from DATAALM_SECRET_KEY, else from `$DATAALM_HOME/secret.key` (created, 0600). */
  static load(configuredKey: string | undefined, home: string): SecretBox {
    if (configuredKey !== undefined) {
      // A passphrase is stretched; the fixed salt is fine because the key never leaves here.
      return new SecretBox(scryptSync(configuredKey, 'dataalm-secret-key', 32));
    }
    const file = path.join(home, 'secret.key');
    if (!fs.existsSync(file)) {
      fs.mkdirSync(home, { recursive: true });
      writeSecretFile(file, `${randomBytes(32).toString('base64')}\n`);
    }
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) {
      throw new DataalmError('CONFIGURATION', `${file} does not hold a 32-byte base64 key`, {
        remedy: 'restore the key file from a backup, or set DATAALM_SECRET_KEY',
      });
    }
    return new SecretBox(key);
  }

  /** A value that identifies the key without revealing it, stored to detect a wrong key. */
  fingerprint(): string {
    return createHmac('sha256', this.#key).update('dataalm key fingerprint').digest('hex').slice(0, 32);
  }

  /** A key for another purpose (e.g. masking), derived so it reveals nothing of this one. */
  derive(purpose: string): string {
    return createHmac('sha256', this.#key).update(`dataalm derived key: ${purpose}`).digest('hex');
  }

  seal(plaintext: string, context: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, context: string): string {
    if (sealed[0] !== VERSION) throw new DataalmError('SECRET_KEY_MISMATCH', 'unknown secret format');
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new DataalmError('SECRET_KEY_MISMATCH', `cannot decrypt the secret of ${context} with this key`, { cause });
    }
  }
}
