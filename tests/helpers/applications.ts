/** Valid applications for the matters in gateway/catalog/matters.yaml, with made-up but well-formed identifiers. */
import type { District } from '../../gateway/domain/district.js';
import { checkResponse } from './openapi-check.js';
import { staffFetch } from './staff.js';

/** GB 32100-2015 valid codes (check characters computed). */
export const CREDIT_CODES = ['91440101MA59ABCD1D', '91440605MA4UXYW127'] as const;
export const PHONE = '13912345678';
export const COMPANY_NAME = '广州荔湾示例贸易有限公司';
export const ADDRESS = '广州市荔湾区中山八路1号';

/** A company registration (KC-M-0001, handled by Nanhai) or a company change (KC-M-0003, handled by Liwan). */
export function applicationFor(handling: District, overrides: Record<string, unknown> = {}) {
  const base =
    handling === 'nanhai'
      ? {
          matterId: 'KC-M-0001',
          form: { companyName: '佛山南海示例有限公司', registeredCapital: '100', businessScope: '贸易', legalRepresentative: '张三丰' },
          materials: [
            { name: '公司登记（备案）申请书', form: 'original', copies: 1 },
            { name: '公司章程', form: 'original', copies: 1 },
            { name: '法定代表人身份证明', form: 'copy', copies: 1 },
          ],
        }
      : {
          matterId: 'KC-M-0003',
          form: { changeItem: 'address', changeBefore: '佛山市南海区桂城街道1号', changeAfter: '佛山市南海区桂城街道2号' },
          materials: [
            { name: '公司变更登记申请书', form: 'original', copies: 1 },
            { name: '股东会决议', form: 'original', copies: 1 },
          ],
        };
  return {
    ...base,
    applicant: { kind: 'company', name: COMPANY_NAME, creditCode: CREDIT_CODES[0], phone: PHONE, address: ADDRESS },
    ...overrides,
  };
}

/** POST as a signed-in staff user with every role (see tests/helpers/staff.ts); public routes ignore the session. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await staffFetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as Record<string, any>) : undefined;
  checkResponse('POST', url, res.status, res.headers.get('content-type'), parsed);
  return { status: res.status, body: parsed ?? ({} as Record<string, any>) };
}

export async function getJson(url: string) {
  const res = await staffFetch(url);
  const body = (await res.json()) as Record<string, any>;
  checkResponse('GET', url, res.status, res.headers.get('content-type'), body);
  return { status: res.status, body };
}
