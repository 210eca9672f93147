/**
 * Check codes of Chinese identifiers (gateway/intake/identifiers.ts): GB 11643-1999 resident IDs,
 * GB 32100-2015 unified social credit codes, mainland mobile numbers.
 */
import { describe, expect, it } from 'vitest';
import { isValidCreditCode, isValidMobile, isValidResidentId } from '../../../gateway/intake/identifiers.js';

/** ISO 7064 MOD 11-2 check character, written out independently of the code under test. */
function residentCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  return '10X98765432'[sum % 11]!;
}

const withCheck = (first17: string) => first17 + residentCheck(first17);

/** Replace the last character with some other allowed one. */
function otherLast(id: string, alphabet: string): string {
  const last = id[id.length - 1]!;
  const replacement = [...alphabet].find((c) => c !== last)!;
  return id.slice(0, -1) + replacement;
}

/** The clock the checks run against: 21 November 2026, Beijing time. */
const NOW = Date.UTC(2026, 10, 21, 4);

describe('isValidResidentId', () => {
  it('when the ID has a valid birth date and check character, then it is valid', () => {
    expect(isValidResidentId('440103199003071232', NOW)).toBe(true);
    expect(isValidResidentId(withCheck('44060519800229123'), NOW)).toBe(true); // 29 February of a leap year
  });

  it('when the check character is X, then it is valid (upper case)', () => {
    expect(residentCheck('11010519491231002')).toBe('X');
    expect(isValidResidentId('11010519491231002X', NOW)).toBe(true);
  });

  it('when the check character is wrong, then it is invalid', () => {
    const good = '440103199003071232';
    for (const c of '0123456789X') {
      if (c === good[17]) continue;
      expect(isValidResidentId(good.slice(0, 17) + c, NOW)).toBe(false);
    }
    expect(isValidResidentId(otherLast('11010519491231002X', '0123456789'), NOW)).toBe(false);
  });

  it('when the birth date does not exist, then it is invalid even with a correct check character', () => {
    for (const first17 of ['44060519900230123', '44060519900431123', '44060519901301123', '44060519900100123', '44060519000229123']) {
      expect(isValidResidentId(withCheck(first17), NOW)).toBe(false);
    }
  });

  it('when the birth date is in the future, then it is invalid even with a correct check character', () => {
    const nextYear = new Date(NOW).getUTCFullYear() + 1;
    expect(isValidResidentId(withCheck(`440103${nextYear}0101123`), NOW)).toBe(false);
    expect(isValidResidentId(withCheck('44010320990101123'), NOW)).toBe(false);
  });

  it('when the birth year is before 1900, then it is invalid', () => {
    expect(isValidResidentId(withCheck('44010318991231123'), NOW)).toBe(false);
  });

  it('when the shape is wrong (length, letters, lower-case x, spaces), then it is invalid', () => {
    for (const id of ['', '44010319900307123', '4401031990030712320', '44010319900307123A', 'A40103199003071232', '11010519491231002x', '440103 19900307123']) {
      expect(isValidResidentId(id, NOW)).toBe(false);
    }
  });
});

describe('isValidCreditCode', () => {
  it('when the code has a correct MOD 31 check character, then it is valid', () => {
    expect(isValidCreditCode('91440101MA59ABCD1D')).toBe(true);
    expect(isValidCreditCode('91440605MA4UXYW127')).toBe(true);
    expect(isValidCreditCode('91440605MA4UXY0128')).toBe(true);
  });

  it('when the check character is wrong, then it is invalid', () => {
    const good = '91440101MA59ABCD1D';
    for (const c of '0123456789ABCDEFGHJKLMNPQRTUWXY') {
      if (c === good[17]) continue;
      expect(isValidCreditCode(good.slice(0, 17) + c)).toBe(false);
    }
  });

  it('when the code contains a letter GB 32100 never uses (I O Z S V), then it is invalid', () => {
    for (const letter of 'IOZSV') {
      expect(isValidCreditCode(`91440101MA59ABC${letter}1D`)).toBe(false);
      expect(isValidCreditCode(`91440101MA59ABCD1${letter}`)).toBe(false);
    }
  });

  it('when the code contains Z like the fixture 91440605MA4UXYZ12J, then it is invalid (Z is outside the GB 32100 alphabet)', () => {
    // tests/helpers/applications.ts lists this as valid; it is not: Z (like I, O, S, V) is not in the code alphabet.
    expect(isValidCreditCode('91440605MA4UXYZ12J')).toBe(false);
  });

  it('when the shape is wrong (length, lower case, punctuation), then it is invalid', () => {
    for (const code of ['', '91440101MA59ABCD1', '91440101MA59ABCD1DD', '91440101ma59abcd1d', '91440101-MA59ABCD1']) {
      expect(isValidCreditCode(code)).toBe(false);
    }
  });
});

describe('isValidMobile', () => {
  it('when the number is 11 digits starting 13–19, then it is valid', () => {
    for (const phone of ['13912345678', '15012345678', '16612345678', '17712345678', '18812345678', '19912345678']) {
      expect(isValidMobile(phone)).toBe(true);
    }
  });

  it('when the number has the wrong prefix, length or extra characters, then it is invalid', () => {
    for (const phone of ['', '12345678901', '10012345678', '1391234567', '139123456789', '+8613912345678', '139 1234 5678', '139-1234-5678', '020-81234567', '1391234567a']) {
      expect(isValidMobile(phone)).toBe(false);
    }
  });
});
