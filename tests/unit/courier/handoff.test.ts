/** The manifest check at the receiving end of a hand-off (courier/handoff.ts). */
import { describe, expect, it } from 'vitest';
import { checkManifest, handoffStep, type ManifestItem } from '../../../courier/handoff.js';

const manifest: ManifestItem[] = [
  { name: '公司登记（备案）申请书', form: 'original', copies: 1, pages: 4 },
  { name: '公司章程', form: 'original', copies: 2, pages: 12 },
  { name: '法定代表人身份证明', form: 'copy', copies: 1, pages: 1 },
];

describe('checkManifest', () => {
  it('when everything listed arrives with its copies and pages, then there is no discrepancy', () => {
    expect(checkManifest(manifest, manifest.map(({ name, copies, pages }) => ({ name, copies, pages })))).toEqual([]);
  });

  it('when a document is missing, short of copies or pages, or not listed, then each is named with its problem', () => {
    const found = checkManifest(manifest, [
      { name: '公司登记（备案）申请书', copies: 1, pages: 3 },
      { name: '公司章程', copies: 1, pages: 12 },
      { name: '营业执照', copies: 1, pages: 1 },
    ]);
    expect(found).toEqual([
      { name: '公司登记（备案）申请书', problem: 'fewer_pages', expected: '4页', found: '3页' },
      { name: '公司章程', problem: 'fewer_copies', expected: '2份', found: '1份' },
      { name: '法定代表人身份证明', problem: 'missing', expected: '1份 1页', found: '无' },
      { name: '营业执照', problem: 'not_on_manifest', expected: '无', found: '1份 1页' },
    ]);
  });
});

describe('hand-off steps', () => {
  it('when a step names a person instead of a staff id, or a seal number in lower case, then it is refused', () => {
    const step = {
      handoffId: '01M7Z6P0JTHBB5T5DPV760947G',
      step: 'dispatched',
      handoffKind: 'materials_to_handling',
      manifest,
      sealNo: 'lw-0001',
      handedBy: '张三',
      takenBy: 'EMS-C-0042',
      carrier: 'ems',
      waybill: 'EA123456785CN',
    };
    const r = handoffStep.safeParse(step);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['handedBy', 'sealNo']);
    expect(handoffStep.safeParse({ ...step, sealNo: 'LW-0001', handedBy: 'W-0007' }).success).toBe(true);
  });
});
