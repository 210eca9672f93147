/** What the tracking endpoints accept (gateway/citizen/lookup.ts) and how clients are counted (rate-limits.ts). */
import { describe, expect, it } from 'vitest';
import { lookupBody, parseBody, ratingBody } from '../../../gateway/citizen/lookup.js';
import { clientKey } from '../../../gateway/citizen/rate-limits.js';
import { AppError } from '../../../gateway/errors.js';

const refusal = (body: unknown, schema: typeof lookupBody | typeof ratingBody = lookupBody): AppError => {
  try {
    parseBody(schema, body);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected the body to be refused');
};

describe('tracking input', () => {
  it('when a citizen types the case number in lower case, full width or with spaces, then it is read as the number', () => {
    expect(parseBody(lookupBody, { caseNo: ' kc-lw-20261121-000123 ', phoneLast4: '５６７８' })).toEqual({ caseNo: 'KC-LW-20261121-000123', phoneLast4: '5678' });
  });

  it.each([
    ['missing fields', {}, ['caseNo', 'phoneLast4']],
    ['a phone of three digits', { caseNo: 'KC-LW-20261121-000123', phoneLast4: '567' }, ['phoneLast4']],
    ['a full phone number', { caseNo: 'KC-LW-20261121-000123', phoneLast4: '13912345678' }, ['phoneLast4']],
    ['digits as a number', { caseNo: 'KC-LW-20261121-000123', phoneLast4: 5678 }, ['phoneLast4']],
    ['a number of another scheme', { caseNo: 'LW-20261121-000123', phoneLast4: '5678' }, ['caseNo']],
    ['an extra field', { caseNo: 'KC-LW-20261121-000123', phoneLast4: '5678', name: '张三' }, ['(body)']],
    ['an array', [], ['(body)']],
  ])('when the body has %s, then it is VALIDATION_FAILED naming the fields in Chinese', (_, body, fields) => {
    const err = refusal(body);
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.issues.map((i) => i.field)).toEqual(fields);
    for (const issue of err.issues) expect(issue.message).toMatch(/[\u4e00-\u9fff]/);
  });

  it('when a rating is not one of the three, then the rating field is refused', () => {
    const err = refusal({ caseNo: 'KC-LW-20261121-000123', phoneLast4: '5678', rating: 'great' }, ratingBody);
    expect(err.issues).toEqual([{ field: 'rating', code: 'INVALID', message: '评价须为：满意、一般或不满意' }]);
  });
});

describe('client key of the per-client limit', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd:12::/64'],
    ['2001:0db8:abcd:0012:ffff:1:2:3', '2001:db8:abcd:12::/64'],
    ['::1', '0:0:0:0::/64'],
    [undefined, 'unknown'],
  ])('when the address is %s, then the client counts as %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});
