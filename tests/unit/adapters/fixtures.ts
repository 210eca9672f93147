/** Builders and assertions shared by the adapter unit tests. Each test builds its own data from these. */
import { expect } from 'vitest';
import { AdapterError, type AdapterErrorCode, type ApprovalSubmission } from '../../../adapters/adapter.js';
import type { Applicant } from '../../../gateway/domain/application.js';

export const COMPANY: Applicant = {
  kind: 'company',
  name: '广州市荔湾区示例贸易有限公司',
  creditCode: '91440103MA5TEST01X',
  phone: '13800138000',
  address: '广州市荔湾区中山八路1号',
};

export const PERSON: Applicant = {
  kind: 'person',
  name: '张三',
  idNumber: '440103199001011234',
  phone: '13900139000',
};

export function submission(overrides: Partial<ApprovalSubmission> & { applicant?: Applicant } = {}): ApprovalSubmission {
  const { applicant = COMPANY, ...rest } = overrides;
  return {
    caseNo: `KC-NH-20240506-${Math.random().toString().slice(2, 8)}`,
    localMatterCode: '440103-SCJG-BGDJ-003',
    originDistrict: 'nanhai',
    submittedAt: '2024-05-06T01:30:00.000Z',
    application: {
      matterId: 'KC-M-0003',
      applicant,
      form: { changeItem: '住所', changeBefore: '旧址', changeAfter: '新址' },
      materials: [
        { name: '公司变更登记申请书', form: 'original', copies: 1 },
        { name: '股东会决议', form: 'copy', copies: 2 },
      ],
    },
    ...rest,
  };
}

/** Runs fn (sync or async) and returns the AdapterError it throws; fails the test otherwise. */
export async function adapterError(fn: () => unknown): Promise<AdapterError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AdapterError);
    return err as AdapterError;
  }
  throw new Error('expected an AdapterError, but nothing was thrown');
}

export async function expectAdapterError(fn: () => unknown, code: AdapterErrorCode, retryable?: boolean): Promise<AdapterError> {
  const err = await adapterError(fn);
  expect(err.code).toBe(code);
  if (retryable !== undefined) expect(err.retryable).toBe(retryable);
  return err;
}

/** Runs fn with process.env.TZ set to zone (and proves the zone took effect), then restores it. */
export async function inTimeZone<T>(zone: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env['TZ'];
  process.env['TZ'] = zone;
  try {
    // The zone must have taken effect (not UTC, the usual CI zone) and must differ from Beijing
    // (UTC+8, offset -480), or the test proves nothing.
    const offset = new Date('2024-05-06T00:00:00Z').getTimezoneOffset();
    expect(offset).not.toBe(0);
    expect(offset).not.toBe(-480);
    return await fn();
  } finally {
    if (before === undefined) delete process.env['TZ'];
    else process.env['TZ'] = before;
  }
}
