/**
 * Waybill numbers as window staff type them at a hand-off. The carrier is what staff chose on the
 * form, never guessed from the number: two carriers can share a format, and a guess would hide a
 * slip that staff should correct while the courier is still at the window.
 *
 * Two schemes:
 * - UPU S10 (international and EMS/China Post items with a barcode label): 2 letters (service
 *   indicator), 8 digits (serial), 1 check digit, 2 letters (ISO 3166 country of the posting
 *   operator), e.g. `EA123456785CN`. The check digit is verified (weights 8 6 4 2 3 5 9 7).
 *   The service indicator must belong to the chosen carrier: `E?` is EMS; `R?` (registered letter),
 *   `C?` (parcel), `L?` (tracked letter) and `V?` (insured letter) are China Post. Any other first
 *   letter is not one of our carriers' items. The country is any two letters (format only).
 * - Domestic 13-digit numbers (EMS 国内标准快递, China Post 国内包裹/挂号): format only, as issue 4
 *   asks — 13 digits whose first digit is 1–9. The carriers allocate ranges inside that space,
 *   change them without notice and publish no check digit for them, so a tighter rule would risk
 *   refusing real parcels at the window. A leading 0 is refused: it is what a zero-padded order
 *   number looks like, and no domestic range we know of uses it. Narrow DOMESTIC13_RE when the
 *   carrier contract lists its ranges. A typo that passes is caught when the tracking
 *   subscription finds no such waybill.
 *
 * Input is normalised first: Unicode NFKC (full-width digits and letters from a Chinese IME
 * become ASCII), all white space removed, upper-case. Messages never repeat the input: a phone
 * number typed into the wrong field must not reach a log through an error message.
 */

export const CARRIERS = ['ems', 'china_post'] as const;
export type Carrier = (typeof CARRIERS)[number];

export type WaybillScheme = 's10' | 'domestic13';

export interface Waybill {
  carrier: Carrier;
  /** Normalised: upper-case, no spaces, ASCII. */
  number: string;
  scheme: WaybillScheme;
  /** S10 only: the ISO 3166 alpha-2 code of the posting operator's country. */
  country?: string;
}

export type WaybillErrorCode =
  | 'WAYBILL_UNKNOWN_CARRIER'
  | 'WAYBILL_EMPTY'
  | 'WAYBILL_BAD_FORMAT'
  | 'WAYBILL_BAD_CHECK_DIGIT'
  | 'WAYBILL_CARRIER_MISMATCH';

export interface WaybillFailure {
  ok: false;
  code: WaybillErrorCode;
  /** For the staff console, in Chinese. */
  message: string;
}

export type WaybillResult = { ok: true; waybill: Waybill } | WaybillFailure;

const CARRIER_NAME: Record<Carrier, string> = { ems: 'EMS', china_post: '中国邮政' };

/** First letter of the S10 service indicator → the carrier that issues it. */
const S10_SERVICE_CARRIER: Readonly<Record<string, Carrier>> = { E: 'ems', R: 'china_post', C: 'china_post', L: 'china_post', V: 'china_post' };

/** Longer raw input is refused before normalising, so a pasted document costs nothing. */
const MAX_RAW_LENGTH = 64;

const S10_RE = /^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$/;
const DOMESTIC13_RE = /^[1-9]\d{12}$/;
const S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7] as const;

const FORMAT_HINT = '应为13位数字，或2位字母+9位数字+2位字母（如 EA123456785CN）';

/** The UPU S10 check digit of an 8-digit serial: 11 − (Σ digit×weight mod 11), with 10 → 0 and 11 → 5. */
export function s10CheckDigit(serial: string): number {
  if (!/^\d{8}$/.test(serial)) throw new RangeError('an S10 serial is exactly 8 digits');
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(serial[i]) * S10_WEIGHTS[i]!;
  const check = 11 - (sum % 11);
  if (check === 10) return 0;
  if (check === 11) return 5;
  return check;
}

export function isCarrier(value: unknown): value is Carrier {
  return typeof value === 'string' && (CARRIERS as readonly string[]).includes(value);
}

/** NFKC, no white space, upper-case. */
export function normaliseWaybillNumber(raw: string): string {
  return raw.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
}

function fail(code: WaybillErrorCode, message: string): WaybillFailure {
  return { ok: false, code, message };
}

function parseS10(carrier: Carrier, number: string, m: RegExpExecArray): WaybillResult {
  const [, service, serial, check, country] = m as unknown as [string, string, string, string, string];
  if (s10CheckDigit(serial) !== Number(check)) {
    return fail('WAYBILL_BAD_CHECK_DIGIT', '运单号校验位不正确，请核对是否抄错');
  }
  const issuer = S10_SERVICE_CARRIER[service[0]!];
  if (issuer === undefined) {
    return fail('WAYBILL_BAD_FORMAT', `该运单号不是 EMS 或中国邮政的单号（业务代码 ${service}）`);
  }
  if (issuer !== carrier) {
    return fail(
      'WAYBILL_CARRIER_MISMATCH',
      `该运单号是${CARRIER_NAME[issuer]}的单号，与所选承运方${CARRIER_NAME[carrier]}不符，请核对承运方`,
    );
  }
  return { ok: true, waybill: { carrier, number, scheme: 's10', country } };
}

/**
 * Validates a waybill number for the carrier staff chose. Never throws: any input, of any type,
 * gives either the normalised waybill or a failure with a stable code and a Chinese message.
 */
export function parseWaybill(carrier: unknown, rawNumber: unknown): WaybillResult {
  if (!isCarrier(carrier)) return fail('WAYBILL_UNKNOWN_CARRIER', '承运方必须是 EMS 或中国邮政');
  if (typeof rawNumber !== 'string') return fail('WAYBILL_BAD_FORMAT', `运单号格式不正确：${FORMAT_HINT}`);
  if (rawNumber.length > MAX_RAW_LENGTH) return fail('WAYBILL_BAD_FORMAT', `运单号过长：${FORMAT_HINT}`);
  const number = normaliseWaybillNumber(rawNumber);
  if (number === '') return fail('WAYBILL_EMPTY', '请填写运单号');

  const s10 = S10_RE.exec(number);
  if (s10) return parseS10(carrier, number, s10);
  if (DOMESTIC13_RE.test(number)) return { ok: true, waybill: { carrier, number, scheme: 'domestic13' } };
  return fail('WAYBILL_BAD_FORMAT', `运单号格式不正确：${FORMAT_HINT}`);
}
