import { describe, expect, it } from 'vitest';
import { normaliseWaybillNumber, parseWaybill, s10CheckDigit, type WaybillErrorCode } from '../../../courier/waybill.js';

function failure(carrier: unknown, number: unknown): { code: WaybillErrorCode; message: string } {
  const result = parseWaybill(carrier, number);
  if (result.ok) throw new Error(`expected a failure for ${String(number)}, got ${JSON.stringify(result.waybill)}`);
  return result;
}

const CJK = /[\u4e00-\u9fff]/;

describe('UPU S10 check digit', () => {
  it.each([
    ['12345678', 5], // EA123456785CN, the textbook example: Σ = 204, 204 mod 11 = 6, 11 − 6 = 5
    ['47312482', 9],
    ['98765432', 6],
    ['00000001', 4],
  ])('when the serial is %s, then the check digit is %i', (serial, digit) => {
    expect(s10CheckDigit(serial)).toBe(digit);
  });

  it('when 11 − (Σ mod 11) is 10, then the check digit is 0', () => {
    // 1×8 + 1×5 + 3×9 + 7×7 = 89; 89 mod 11 = 1; 11 − 1 = 10 → 0
    expect(s10CheckDigit('10000137')).toBe(0);
  });

  it('when 11 − (Σ mod 11) is 11, then the check digit is 5', () => {
    // 1×8 + 4×5 + 1×9 + 1×7 = 44; 44 mod 11 = 0; 11 − 0 = 11 → 5
    expect(s10CheckDigit('10000411')).toBe(5);
  });

  it('when the serial is not 8 digits, then s10CheckDigit throws RangeError', () => {
    expect(() => s10CheckDigit('1234567')).toThrow(RangeError);
    expect(() => s10CheckDigit('1234567a')).toThrow(RangeError);
  });
});

describe('parseWaybill — S10', () => {
  it('when an EMS number has the right check digit, then it is accepted as s10 with its country', () => {
    expect(parseWaybill('ems', 'EA123456785CN')).toEqual({
      ok: true,
      waybill: { carrier: 'ems', number: 'EA123456785CN', scheme: 's10', country: 'CN' },
    });
  });

  it('when the check digit is 0 because 11 − r is 10, then the number is accepted, and 1 there is refused', () => {
    expect(parseWaybill('ems', 'EA100001370CN').ok).toBe(true);
    expect(failure('ems', 'EA100001371CN').code).toBe('WAYBILL_BAD_CHECK_DIGIT');
  });

  it('when the check digit is 5 because 11 − r is 11, then the number is accepted, and 0 there (a naive 11 → 0) is refused', () => {
    expect(parseWaybill('ems', 'EA100004115CN').ok).toBe(true);
    expect(failure('ems', 'EA100004110CN').code).toBe('WAYBILL_BAD_CHECK_DIGIT');
  });

  it('when one digit of the serial is mistyped, then WAYBILL_BAD_CHECK_DIGIT', () => {
    expect(failure('ems', 'EA123456795CN').code).toBe('WAYBILL_BAD_CHECK_DIGIT');
    expect(failure('ems', 'EA123456784CN').code).toBe('WAYBILL_BAD_CHECK_DIGIT');
  });

  it('when staff type lower case, spaces, full-width characters or an ideographic space, then the number is normalised', () => {
    for (const typed of [' ea 1234 5678 5cn ', 'ＥＡ１２３４５６７８５ＣＮ', 'EA\u3000123456785\tCN']) {
      const result = parseWaybill('ems', typed);
      expect(result).toMatchObject({ ok: true, waybill: { number: 'EA123456785CN' } });
    }
    expect(normaliseWaybillNumber('ｅａ１２３４５６７８５ｃｎ')).toBe('EA123456785CN');
  });

  it('when an item was posted abroad, then the country is the posting operator’s', () => {
    expect(parseWaybill('ems', 'EE123456785US')).toMatchObject({ ok: true, waybill: { country: 'US', scheme: 's10' } });
  });

  it('when China Post registered letters and parcels are given for china_post, then they are accepted', () => {
    for (const number of ['RR123456785CN', 'CP123456785CN', 'LX123456785CN', 'VA123456785CN']) {
      expect(parseWaybill('china_post', number)).toMatchObject({ ok: true, waybill: { carrier: 'china_post', scheme: 's10' } });
    }
  });

  it('when an EMS number is given as china_post, then WAYBILL_CARRIER_MISMATCH names EMS', () => {
    const err = failure('china_post', 'EA123456785CN');
    expect(err.code).toBe('WAYBILL_CARRIER_MISMATCH');
    expect(err.message).toContain('EMS');
  });

  it('when a China Post registered letter is given as ems, then WAYBILL_CARRIER_MISMATCH names 中国邮政', () => {
    const err = failure('ems', 'RR123456785CN');
    expect(err.code).toBe('WAYBILL_CARRIER_MISMATCH');
    expect(err.message).toContain('中国邮政');
  });

  it('when the check digit is wrong and the carrier too, then the check digit is reported first (it is the likelier slip)', () => {
    expect(failure('ems', 'RR123456784CN').code).toBe('WAYBILL_BAD_CHECK_DIGIT');
  });

  it('when the service indicator is not one our carriers issue, then WAYBILL_BAD_FORMAT', () => {
    expect(failure('ems', 'AA123456785CN').code).toBe('WAYBILL_BAD_FORMAT');
    expect(failure('china_post', 'ZZ123456785CN').code).toBe('WAYBILL_BAD_FORMAT');
  });

  it.each([
    ['EA12345678CN', 'serial and check digit one short'],
    ['EA1234567855CN', 'one digit too many'],
    ['E1123456785CN', 'a digit in the service indicator'],
    ['EA123456785C1', 'a digit in the country'],
    ['EA-123456785-CN', 'hyphens'],
    ['EA12345678XCN', 'a letter for the check digit'],
  ])('when the number is %s (%s), then WAYBILL_BAD_FORMAT', (number) => {
    expect(failure('ems', number).code).toBe('WAYBILL_BAD_FORMAT');
  });
});

describe('parseWaybill — domestic 13 digits', () => {
  it.each([
    ['ems', '1100012345678'],
    ['ems', '9870012345678'],
    ['ems', '5012345678901'],
    ['china_post', '9912345678901'],
    ['china_post', '1112345678901'],
  ] as const)('when %s is given %s, then it is accepted as domestic13 without a country', (carrier, number) => {
    expect(parseWaybill(carrier, number)).toEqual({ ok: true, waybill: { carrier, number, scheme: 'domestic13' } });
  });

  it('when the 13 digits are typed in groups, then the spaces are removed', () => {
    expect(parseWaybill('ems', '1100 0123 45678')).toMatchObject({ ok: true, waybill: { number: '1100012345678' } });
  });

  it.each([
    ['0100012345678', 'a leading zero'],
    ['110001234567', '12 digits'],
    ['11000123456789', '14 digits'],
    ['110001234567X', 'a letter'],
  ])('when the number is %s (%s), then WAYBILL_BAD_FORMAT', (number) => {
    expect(failure('ems', number).code).toBe('WAYBILL_BAD_FORMAT');
  });
});

describe('parseWaybill — bad input', () => {
  it('when the carrier is not ems or china_post, then WAYBILL_UNKNOWN_CARRIER', () => {
    for (const carrier of ['sf', 'EMS', '', undefined, null, 3]) {
      expect(failure(carrier, 'EA123456785CN').code).toBe('WAYBILL_UNKNOWN_CARRIER');
    }
  });

  it('when the number is empty or only white space, then WAYBILL_EMPTY', () => {
    expect(failure('ems', '').code).toBe('WAYBILL_EMPTY');
    expect(failure('ems', ' \u3000 ').code).toBe('WAYBILL_EMPTY');
  });

  it('when the number is not a string, then WAYBILL_BAD_FORMAT, never a crash', () => {
    for (const number of [undefined, null, 1100012345678, {}, ['EA123456785CN']]) {
      expect(failure('ems', number).code).toBe('WAYBILL_BAD_FORMAT');
    }
  });

  it('when a whole document is pasted into the field, then WAYBILL_BAD_FORMAT without normalising it', () => {
    expect(failure('ems', `EA123456785CN${' '.repeat(100_000)}`).code).toBe('WAYBILL_BAD_FORMAT');
  });

  it('when a phone number is typed into the waybill field, then the message does not repeat it', () => {
    const err = failure('ems', '13800138000');
    expect(err.code).toBe('WAYBILL_BAD_FORMAT');
    expect(err.message).not.toContain('13800138000');
  });

  it('when any rule fails, then the message is in Chinese', () => {
    const messages = [
      failure('sf', 'EA123456785CN'),
      failure('ems', ''),
      failure('ems', 'EA12345678CN'),
      failure('ems', 'EA123456784CN'),
      failure('ems', 'RR123456785CN'),
    ].map((f) => f.message);
    for (const m of messages) expect(m).toMatch(CJK);
  });
});
