/**
 * Signature suites. The suite is named inside the signed body, so it cannot be swapped in transit;
 * a gateway accepts only the suites it knows. SM2/SM3 joins this table in a later issue.
 */
export const SUITES = {
  'ECDSA-P256-SHA256': { hash: 'sha256', keyType: 'ec', namedCurve: 'prime256v1' },
} as const;

export type SuiteName = keyof typeof SUITES;

export const DEFAULT_SUITE: SuiteName = 'ECDSA-P256-SHA256';

export function isSuiteName(v: unknown): v is SuiteName {
  return typeof v === 'string' && Object.hasOwn(SUITES, v);
}
