/** RFC 8785 (JCS) canonical JSON: the exact bytes that are signed, carried and stored. */
import canonicalize from 'canonicalize';

export function canonicalBytes(value: unknown): Buffer {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value cannot be canonicalised');
  return Buffer.from(text, 'utf8');
}
