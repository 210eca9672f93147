/** RFC 8785 (JCS) canonical JSON: the exact bytes that are signed, carried and stored. */
import canonicalize from 'canonicalize';

export function canonicalBytes(value: unknown): Buffer {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value cannot be canonicalised');
  return Buffer.from(text, 'utf8');
}

/**
 * Whether `bytes` are exactly the canonical form of `value`. A value with no canonical form (a lone
 * surrogate, nesting too deep to walk) is simply not canonical: an input, never a crash.
 */
export function isCanonical(value: unknown, bytes: Uint8Array): boolean {
  try {
    return canonicalBytes(value).equals(bytes);
  } catch {
    return false;
  }
}
