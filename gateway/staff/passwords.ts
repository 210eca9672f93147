/**
 * Staff passwords, hashed with scrypt (node:crypto: no native dependency, memory-hard). The stored
 * form names its own cost, `scrypt$N$r$p$salt$hash` (base64url), so the cost can rise for new
 * hashes while old ones still verify.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_LENGTH = 32;
/** 2^15 × 8 × 128 B = 32 MiB per hash, about 50–100 ms here: slow for a guesser, fine at sign-in. */
export const DEFAULT_COST = { N: 32_768, r: 8, p: 1 } as const;

function scrypt(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r + 1_048_576 };
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, cost: { N: number; r: number; p: number } = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

const STORED = /^scrypt\$(\d{1,7})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{40,})$/;

export function isPasswordHash(stored: string): boolean {
  const m = STORED.exec(stored);
  if (!m) return false;
  const N = Number(m[1]);
  return N >= 1024 && N <= 1_048_576 && (N & (N - 1)) === 0;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = STORED.exec(stored);
  if (!m || !isPasswordHash(stored)) return false;
  const expected = Buffer.from(m[5]!, 'base64url');
  const actual = await scrypt(password, Buffer.from(m[4]!, 'base64url'), { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Verifying against this when the user name is unknown costs the same as a real check, so the time
 * of an answer does not tell which user names exist.
 */
export const DECOY_HASH = `scrypt$${DEFAULT_COST.N}$${DEFAULT_COST.r}$${DEFAULT_COST.p}$${'A'.repeat(22)}$${'A'.repeat(43)}`;
