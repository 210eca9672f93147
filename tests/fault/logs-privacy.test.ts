/**
 * The privacy check every fault scenario ends with (tests/helpers/fault-privacy.ts, registered by
 * itKeepsPersonalDataOutOfLogs as each file's last test, over all of its gateways' logs): here it
 * is shown to catch what it must — the suite's personal values and any ID- or mobile-shaped
 * number — and to let pass what gateway logs legitimately carry, so that a clean scan means
 * something.
 *
 * Invariant (checked in each scenario file): no gateway log line written during the fault suite
 * holds a name, ID number, phone number or address from the applications, nor any token shaped
 * like a resident ID number or a mainland mobile number.
 */
import { describe, expect, it } from 'vitest';
import { FAULT_PERSONAL, faultApplication } from '../helpers/fault-applications.js';
import { personalDataIn } from '../helpers/fault-privacy.js';

const line = (fields: Record<string, unknown>) => JSON.stringify({ level: 30, time: 1_763_745_300_123, pid: 4242, district: 'liwan', ...fields });

describe('the log privacy scan', () => {
  it('when a log line carries an applicant’s name, ID number, phone or address, then the scan names it', () => {
    const app = faultApplication('liwan', 0);
    const leaks = [
      line({ msg: 'case taken in', applicant: app.applicant.name }),
      line({ msg: 'validation failed', field: 'applicant.idNumber', given: app.applicant.idNumber }),
      line({ msg: 'callback', body: `{"lxdh":"${app.form.operatorMobile}"}` }),
      line({ msg: 'parcel', to: app.form.premisesAddress }),
      line({ msg: 'legal representative', who: faultApplication('nanhai', 1).form.legalRepresentative }),
    ];
    for (const leak of leaks) expect(personalDataIn(leak), leak).not.toEqual([]);
  });

  it('when a log line carries someone else’s ID or mobile number, then the scan names it by its shape', () => {
    expect(personalDataIn(line({ msg: 'x', id: '11010519491231002X' })).map((h) => h.what)).toEqual(['id-number-shape']);
    expect(personalDataIn(line({ msg: 'x', phone: '13800138000' })).map((h) => h.what)).toEqual(['mobile-shape']);
    expect(personalDataIn('身份证110105194912310021，电话13911112222').map((h) => h.what).sort()).toEqual(['id-number-shape', 'mobile-shape']);
  });

  it('when a log line carries case and local numbers, ULIDs, digests, waybills and times, then the scan lets it pass', () => {
    const clean = [
      line({ msg: 'envelope applied', caseNo: 'KC-LW-20261121-000123', messageId: '01KAKX3M9ZQ18800001111ABCD', seq: 3 }),
      line({ msg: 'application registered', localNo: 'LW20261121000001', other: 'NH-0000000001' }),
      line({ msg: 'receipt', envelopeSha256: 'a18800001111b110105194912310021c0ffee13800138000', at: '2026-11-21T17:15:00.123+08:00' }),
      line({ msg: 'parcel subscribed', waybill: 'EA123456785CN', result: '1180012345678', durationMs: 13_912_345 }),
    ];
    for (const ok of clean) expect(personalDataIn(ok), ok).toEqual([]);
  });

  it('when the suite’s personal values are listed, then each is one the scan looks for', () => {
    const values = Object.values(FAULT_PERSONAL).flat();
    expect(values.length).toBeGreaterThanOrEqual(12);
    for (const v of values) expect(personalDataIn(`x ${v} y`).some((h) => h.what === 'value' && h.found === v), v).toBe(true);
  });
});
