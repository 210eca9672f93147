/**
 * Applications for the fault suite, carrying personal data that is made up but distinctive (names
 * no real test fixture uses, valid-looking ID and mobile numbers, street addresses), so that a scan
 * of the gateways' logs afterwards (./fault-privacy.ts) can tell whether any of it leaked.
 * Cases handled by Liwan are a person's (KC-M-0007, ID number and mobile in the form too); cases
 * handled by Nanhai are a company's (KC-M-0001) with a named legal representative.
 */
import type { District } from '../../gateway/domain/district.js';
import { ADDRESS, CREDIT_CODES, PHONE } from './applications.js';

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** A resident ID number (GB 11643) from its first 17 digits, with its check character. */
function residentId(first17: string): string {
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * ID_WEIGHTS[i]!, 0);
  return first17 + '10X98765432'[sum % 11]!;
}

/** Everything personal the fault suite puts into applications; none of it may reach a log. */
export const FAULT_PERSONAL = {
  names: ['司马测故', '欧阳断电', '慕容重启'],
  idNumbers: [residentId('44010319850312471'), residentId('44060519920729583'), residentId('44010319780101126')],
  phones: ['15899990001', '18677770002', '13566660003'],
  addresses: ['广州市荔湾区故障演练路88号', '佛山市南海区桂城断网街66号', '广州市荔湾区重启巷3号之2'],
  legalRepresentatives: ['诸葛停机', '东方超时'],
} as const;

/** The personal values the older fault tests use (tests/helpers/applications.ts), scanned for as well. */
export const SHARED_PERSONAL = [PHONE, ADDRESS, '张三丰'] as const;

export function allPersonalValues(): string[] {
  return [...Object.values(FAULT_PERSONAL).flat(), ...SHARED_PERSONAL];
}

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;

/** The i-th fault-suite application for a case handled by `handling`. */
export function faultApplication(handling: District, i: number) {
  const name = pick(FAULT_PERSONAL.names, i);
  const idNumber = pick(FAULT_PERSONAL.idNumbers, i);
  const phone = pick(FAULT_PERSONAL.phones, i);
  const address = pick(FAULT_PERSONAL.addresses, i);
  if (handling === 'liwan') {
    return {
      matterId: 'KC-M-0007',
      applicant: { kind: 'person', name, idNumber, phone, address },
      form: {
        operatorName: name,
        operatorIdNumber: idNumber,
        organizationForm: 'individual',
        capitalAmount: '5',
        employees: '2',
        premisesAddress: address,
        operatorMobile: phone,
        agentApplies: 'false',
      },
      materials: [
        { name: '个体工商户开业登记申请书', form: 'original', copies: 1 },
        { name: '经营者身份证明', form: 'copy', copies: 1 },
        { name: '经营场所使用证明', form: 'copy', copies: 1 },
      ],
    };
  }
  return {
    matterId: 'KC-M-0001',
    applicant: { kind: 'company', name: '佛山南海故障演练有限公司', creditCode: CREDIT_CODES[1], phone, address },
    form: { companyName: '佛山南海故障演练有限公司', registeredCapital: '100', businessScope: '贸易', legalRepresentative: pick(FAULT_PERSONAL.legalRepresentatives, i) },
    materials: [
      { name: '公司登记（备案）申请书', form: 'original', copies: 1 },
      { name: '公司章程', form: 'original', copies: 1 },
      { name: '法定代表人身份证明', form: 'copy', copies: 1 },
    ],
  };
}
