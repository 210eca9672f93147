/**
 * Builders and assertions shared by the adapter unit tests. Each test builds its own data from these.
 * Matters come from the shipped catalog (its first four entries are the stable examples) or from the
 * generated matters of tests/helpers/catalog-fixtures.ts, which use every field type and date format.
 */
import { expect } from 'vitest';
import { AdapterError, type AdapterErrorCode, type ApprovalSubmission, type SupplementSubmission } from '../../../adapters/adapter.js';
import type { AdapterOptions } from '../../../adapters/adapter-kit.js';
import { loadMatterCatalog } from '../../../gateway/catalog/catalog.js';
import { matterSchema, type Matter } from '../../../gateway/catalog/schema.js';
import type { Applicant } from '../../../gateway/domain/application.js';
import type { District } from '../../../gateway/domain/district.js';
import { generatedMatter } from '../../helpers/catalog-fixtures.js';
import { rejectionBy } from '../../helpers/thrown.js';

export const catalog = loadMatterCatalog();

export function shippedMatter(id: string): Matter {
  const m = catalog.get(id);
  if (!m) throw new Error(`the shipped catalog has no ${id}`);
  return m;
}

/** A full generated matter (every field type; odd i handled by Nanhai with epoch-ms dates, even i by Liwan with yyyy/MM/dd). */
export function generated(i: number): Matter {
  return matterSchema.parse(generatedMatter(i, { full: true }));
}

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

let counter = 0;
export const newCaseNo = (origin: 'LW' | 'NH' = 'NH'): string => `KC-${origin}-20240506-${String(++counter).padStart(6, '0')}`;

/** A valid KC-M-0003 (handled by Liwan) or KC-M-0001 (handled by Nanhai) submission. */
export function submission(district: District, overrides: Partial<ApprovalSubmission> & { applicant?: Applicant } = {}): ApprovalSubmission {
  const { applicant = COMPANY, ...rest } = overrides;
  const base: ApprovalSubmission =
    district === 'liwan'
      ? {
          caseNo: newCaseNo('NH'),
          matter: shippedMatter('KC-M-0003'),
          originDistrict: 'nanhai',
          submittedAt: '2024-05-06T01:30:00.000Z',
          application: {
            matterId: 'KC-M-0003',
            applicant,
            form: { changeItem: 'address', changeBefore: '旧址', changeAfter: '新址', resolutionDate: '2024-04-30' },
            materials: [
              { name: '公司变更登记申请书', form: 'original', copies: 1 },
              { name: '股东会决议', form: 'copy', copies: 2 },
            ],
          },
        }
      : {
          caseNo: newCaseNo('LW'),
          matter: shippedMatter('KC-M-0001'),
          originDistrict: 'liwan',
          submittedAt: '2024-05-06T01:30:00.000Z',
          application: {
            matterId: 'KC-M-0001',
            applicant,
            form: { companyName: '佛山南海示例有限公司', registeredCapital: '100.5', businessScope: '贸易', legalRepresentative: '李四', premisesType: 'leased' },
            materials: [
              { name: '公司登记（备案）申请书', form: 'original', copies: 1 },
              { name: '住所使用证明', form: 'copy', copies: 1 },
            ],
          },
        };
  return { ...base, ...rest };
}

export function supplement(district: District, localNo: string, overrides: Partial<SupplementSubmission> = {}): SupplementSubmission {
  const s = submission(district);
  return {
    caseNo: s.caseNo,
    localNo,
    matter: s.matter,
    supplementId: `SUP-${newCaseNo()}`,
    materials: [s.application.materials[1]!],
    note: '补正股东会决议原件',
    submittedAt: '2024-05-08T02:00:00.000Z',
    ...overrides,
  };
}

/** Adapter options for unit tests: the catalog's status table, a fast back-off, no waiting. */
export function options(district: District, base: string, extra: Partial<AdapterOptions> = {}): AdapterOptions {
  return { baseUrl: base, callbackSecret: `${district}-callback-secret`, statuses: catalog.statuses(district), retry: { baseDelayMs: 1 }, ...extra };
}

/** Runs fn (sync or async) and returns the AdapterError it throws; fails the test otherwise. */
export const adapterError = (fn: () => unknown): Promise<AdapterError> => rejectionBy(AdapterError, fn);

export async function expectAdapterError(fn: () => unknown, code: AdapterErrorCode, retryable?: boolean): Promise<AdapterError> {
  const err = await adapterError(fn);
  expect(err.code, err.message).toBe(code);
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

/** Waits until fn() is true (polling every 5 ms), or fails after timeoutMs. */
export async function until(fn: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
