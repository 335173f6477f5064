// The generated passwords of an import are kept encrypted with a key derived from the importing session's token,
// which the database never holds (it stores only the token's hash): only that session can read them, once.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

export function secretKey(sessionToken: string, jobId: number): Buffer {
  return Buffer.from(hkdfSync('sha256', sessionToken, 'roster-import-passwords', `job:${jobId}`, 32));
}

export function seal(key: Buffer, plain: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(gzipSync(plain)), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** The plain text, or null when the key is not the one that sealed it. */
export function unseal(key: Buffer, sealed: Buffer): string | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return gunzipSync(Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()])).toString('utf8');
  } catch {
    return null;
  }
}
