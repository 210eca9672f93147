/**
 * Catalog fixtures: a generated catalog of any size (for the start-up size test), and a valid form,
 * material list and applicant for any matter of any catalog (so a test can round-trip every matter
 * without knowing its fields). Everything here is deterministic.
 */
import { Document, isCollection, isScalar, visit } from 'yaml';
import type { Applicant, FormValues, Material } from '../../gateway/domain/application.js';
import type { District } from '../../gateway/domain/district.js';
import { conditionHolds } from '../../gateway/intake/field-rules.js';
import type { Condition, FormField, Matter } from '../../gateway/catalog/schema.js';

// ---------------------------------------------------------------------------------------------
// Identifiers with correct check characters

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';
const CREDIT_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** A GB 11643-1999 resident ID: 17 digits (region 6, birth date 8, sequence 3) plus the check character. */
export function residentId(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error(`residentId: "${first17}" is not 17 digits`);
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i]!;
  return first17 + ID_CHECK[sum % 11]!;
}

/** A GB 32100-2015 unified social credit code: 17 characters plus the MOD 31 check character. */
export function creditCode(first17: string): string {
  if (!/^[0-9A-HJ-NPQRTUWXY]{17}$/.test(first17)) throw new Error(`creditCode: "${first17}" is not 17 code characters`);
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CREDIT_CHARS.indexOf(first17[i]!) * CREDIT_WEIGHTS[i]!;
  return first17 + CREDIT_CHARS[(31 - (sum % 31)) % 31]!;
}

/** Sample values: a Liwan resident born 1985-03-15, companies registered in Liwan and Nanhai. */
export const SAMPLE = {
  idNumber: residentId('44010319850315001'),
  otherIdNumber: residentId('44060519900101002'),
  creditCode: creditCode('91440103MA59ABCD1'),
  otherCreditCode: creditCode('91440605MA4UXYW12'),
  /** 个体工商户 codes start 92. */
  soleTraderCreditCode: creditCode('92440103MA5AB1234'),
  mobile: '13912345678',
  phone: '020-81234567',
  postcode: '510140',
  date: '2026-06-15',
} as const;

// ---------------------------------------------------------------------------------------------
// A valid form, materials and applicant for any matter

export interface SampleOptions {
  /**
   * 'met' (default): each enum or boolean that some condition depends on takes the value that
   * makes the first such condition true, so conditional fields and materials are exercised.
   * 'unmet': it takes a value no condition asks for, where there is one.
   */
  conditions?: 'met' | 'unmet';
  /** Values to use as given (they also decide the conditions). */
  overrides?: FormValues;
}

function conditionsOf(matter: Matter): Condition[] {
  return [...matter.fields.map((f) => f.requiredWhen), ...matter.materials.map((m) => m.requiredWhen)].filter((c): c is Condition => c !== undefined);
}

function choices(field: FormField): string[] {
  return field.type === 'boolean' ? ['true', 'false'] : (field.options ?? []).map((o) => o.value);
}


/** A string that the whole of a simple regular expression matches (literals, \d \w, classes, quantifiers). */
export function sampleForPattern(pattern: string): string {
  const src = pattern.replace(/^\^/, '').replace(/\$$/, '');
  let out = '';
  let i = 0;
  while (i < src.length) {
    let unit: string;
    const c = src[i]!;
    if (c === '\\') {
      const e = src[i + 1] ?? '';
      unit = e === 'd' ? '1' : e === 'w' ? 'a' : e === 's' ? ' ' : e;
      i += 2;
    } else if (c === '[') {
      const end = src.indexOf(']', i + 2);
      const body = src.slice(i + 1, end);
      if (body.startsWith('^')) throw new Error(`sampleForPattern: negated class in ${pattern}`);
      unit = body[0] === '\\' ? (body[1] === 'd' ? '1' : body[1]!) : body[0]!;
      i = end + 1;
    } else if (c === '(' || c === '|' || c === '.') {
      throw new Error(`sampleForPattern: groups, alternatives and "." are not supported (${pattern}); give the field a value through overrides`);
    } else {
      unit = c;
      i += 1;
    }
    let times = 1;
    const q = src[i];
    if (q === '{') {
      const end = src.indexOf('}', i);
      times = Number(src.slice(i + 1, end).split(',')[0]);
      i = end + 1;
    } else if (q === '+' || q === '*' || q === '?') {
      times = q === '+' ? 1 : 0;
      i += 1;
    }
    out += unit.repeat(times);
  }
  if (!new RegExp(`^(?:${pattern.replace(/^\^/, '').replace(/\$$/, '')})$`, 'u').test(out)) {
    throw new Error(`sampleForPattern: made "${out}", which does not match ${pattern}`);
  }
  return out;
}

function sampleNumber(field: FormField, preferred: number): string {
  let n = preferred;
  if (field.min !== undefined && n < field.min) n = field.min;
  if (field.max !== undefined && n > field.max) n = field.max;
  if (field.type === 'integer') {
    n = Math.round(n);
    if (field.min !== undefined && n < field.min) n = Math.ceil(field.min);
    if (field.max !== undefined && n > field.max) n = Math.floor(field.max);
  }
  return String(n);
}

function clip(s: string, maxLength: number | undefined): string {
  return maxLength === undefined ? s : [...s].slice(0, maxLength).join('');
}

/** A valid value of the field's type; `chosen` is the option picked for enum and boolean fields. */
export function sampleValue(field: FormField, chosen?: string): string {
  switch (field.type) {
    case 'text':
      return field.pattern !== undefined ? sampleForPattern(field.pattern) : clip(`示例${field.label}`, field.maxLength);
    case 'textarea':
      return field.pattern !== undefined ? sampleForPattern(field.pattern) : clip(`${field.label}：示例内容，第一行。\n第二行。`, field.maxLength);
    case 'integer':
      return sampleNumber(field, 12);
    case 'decimal':
      return sampleNumber(field, 12.5);
    case 'date':
      return SAMPLE.date;
    case 'enum':
    case 'boolean':
      return chosen ?? choices(field)[0]!;
    case 'mobile':
      return SAMPLE.mobile;
    case 'phone':
      return SAMPLE.phone;
    case 'postcode':
      return SAMPLE.postcode;
    case 'idNumber':
      return SAMPLE.idNumber;
    case 'creditCode':
      return SAMPLE.creditCode;
  }
}

/**
 * A valid form for the matter: every required field, every optional field without a condition,
 * and every conditional field whose condition holds, each with a value of its type.
 */
export function sampleForm(matter: Matter, options: SampleOptions = {}): FormValues {
  const { conditions = 'met', overrides = {} } = options;
  const wanted = new Map<string, string[]>();
  for (const c of conditionsOf(matter)) wanted.set(c.field, [...(wanted.get(c.field) ?? []), c.equals]);

  const chosen: FormValues = {};
  for (const f of matter.fields) {
    if (f.type !== 'enum' && f.type !== 'boolean') continue;
    const asked = wanted.get(f.key) ?? [];
    const all = choices(f);
    chosen[f.key] = conditions === 'met' ? (asked[0] ?? all[0]!) : (all.find((v) => !asked.includes(v)) ?? all[0]!);
  }
  Object.assign(chosen, overrides);

  const form: FormValues = {};
  for (const f of matter.fields) {
    const fill = f.required || (f.requiredWhen ? conditionHolds(f.requiredWhen, chosen) : true);
    if (overrides[f.key] !== undefined) form[f.key] = overrides[f.key]!;
    else if (fill) form[f.key] = sampleValue(f, chosen[f.key]);
  }
  return form;
}

/** The materials the form calls for: every required one, and each conditional one whose condition holds. */
export function sampleMaterials(matter: Matter, form: FormValues = sampleForm(matter)): Material[] {
  return matter.materials
    .filter((m) => m.requirement === 'required' || conditionHolds(m.requiredWhen, form))
    .map((m) => ({ name: m.name, form: m.form, copies: m.copies }));
}

/** A valid applicant of the matter's kind. */
export function sampleApplicant(matter: Matter): Applicant {
  return matter.applicantKind === 'person'
    ? { kind: 'person', name: '陈志明', idNumber: SAMPLE.idNumber, phone: SAMPLE.mobile, address: '广州市荔湾区中山八路1号' }
    : { kind: 'company', name: '广州荔湾示例贸易有限公司', creditCode: SAMPLE.creditCode, phone: SAMPLE.mobile, address: '广州市荔湾区中山八路1号' };
}

// ---------------------------------------------------------------------------------------------
// A generated catalog of n matters

export const CATALOG_HEADER = {
  version: 1,
  batches: [
    { id: '2016-02', name: '第一批跨城通办事项（2016年2月）', announcedOn: '2016-02-26' },
    { id: '2016-11', name: '第二批跨城通办事项（2016年11月）', announcedOn: '2016-11-18' },
  ],
  systems: {
    liwan: { statuses: { '01': 'registered', '02': 'accepted', '03': 'supplement_requested', '06': 'supplement_received', '04': 'approved', '05': 'rejected' } },
    nanhai: {
      statuses: { RECEIVED: 'registered', ACCEPTED: 'accepted', NEED_SUPPLEMENT: 'supplement_requested', SUPPLEMENTED: 'supplement_received', APPROVED: 'approved', DENIED: 'rejected' },
    },
  },
};

const DOMAINS = ['company_registration', 'business_permit', 'construction'] as const;

/** Departments and their credit codes (one code per department, as the checks require). */
export const DEPARTMENTS = {
  liwan: {
    window: { name: '广州市荔湾区政务服务数据管理局', code: '11440103MB2C12340K' },
    company_registration: { name: '广州市荔湾区市场监督管理局', code: '11440103MB2E004206', abbr: 'SCJG' },
    business_permit: { name: '广州市荔湾区市场监督管理局', code: '11440103MB2E004206', abbr: 'SCJG' },
    construction: { name: '广州市荔湾区住房和建设局', code: '11440103MB2E00517G', abbr: 'ZJ' },
  },
  nanhai: {
    window: { name: '佛山市南海区政务服务数据管理局', code: '11440605MB2F00770M' },
    company_registration: { name: '佛山市南海区市场监督管理局', code: '11440605MB2D56780K', abbr: 'SCJG' },
    business_permit: { name: '佛山市南海区市场监督管理局', code: '11440605MB2D56780K', abbr: 'SCJG' },
    construction: { name: '佛山市南海区住房城乡建设和水利局', code: '11440605MB2F01254T', abbr: 'ZJSL' },
  },
} as const;

const BOOL_MAP = {
  liwan: { values: { true: '1', false: '0' } },
  nanhai: { values: { true: 'true', false: 'false' }, as: 'boolean' },
};

/** The fields of a lean generated matter; a full one has every field type. */
const LEAN_FIELDS = new Set(['companyName', 'registeredCapital', 'plannedStart', 'premisesType', 'creditCode']);
const LEAN_MATERIALS = new Set(['application_form', 'business_licence', 'premises_proof']);

export interface GeneratedOptions {
  /**
   * false (default): 5 fields (text, decimal 万元→元, date, enum, credit code) and 3 materials, one
   * conditional — about 1 KB of YAML. true: 13 fields, one of every field type, and 4 materials.
   */
  full?: boolean;
}

/** One generated matter, valid on its own and beside any other generated matter. */
export function generatedMatter(i: number, options: GeneratedOptions = {}): Record<string, unknown> {
  if (!Number.isInteger(i) || i < 1 || i > 9999) throw new Error(`generatedMatter: ${i} is not 1…9999`);
  const n = String(i).padStart(4, '0');
  const domain = DOMAINS[i % 3]!;
  const handling: District = i % 2 === 0 ? 'liwan' : 'nanhai';
  const batch = i % 6 === 0 ? '2016-02' : '2016-11';
  const catalogCode = `0001${String(i).padStart(8, '0')}`;
  const statutory = 20;
  const district = (d: District) => {
    const dept = d === handling ? DEPARTMENTS[d][domain] : DEPARTMENTS[d].window;
    const code =
      d !== handling ? `${d === 'liwan' ? 'LW' : 'NH'}-KC-${n}` : d === 'liwan' ? `440103-${DEPARTMENTS.liwan[domain].abbr}-SCSX-${n}` : `NH-${DEPARTMENTS.nanhai[domain].abbr}-SCSX-${n}`;
    return { code, name: d === handling ? `生成事项${n}` : `生成事项${n}（跨城通办）`, implementationCode: dept.code + catalogCode, department: dept.name };
  };
  const material = (k: number, id: string, name: string, form: 'original' | 'copy', extra: Record<string, unknown> = {}) => ({
    id,
    name,
    form,
    copies: 1,
    requirement: 'required',
    ...extra,
    codes: { liwan: handling === 'liwan' ? `440103-CL-${n}${k}` : `LWCL-${n}${k}`, nanhai: `NH-M-SC${n}${k}` },
  });
  const matter = {
    id: `KC-M-${n}`,
    name: `生成事项${n}`,
    domain,
    catalogCode,
    batch,
    effectiveFrom: batch === '2016-02' ? '2016-02-26' : '2016-11-18',
    handlingDistrict: handling,
    applicantKind: i % 5 === 0 ? 'person' : 'company',
    districts: { liwan: district('liwan'), nanhai: district('nanhai') },
    timeLimits: { statutoryDays: statutory, promisedDays: 1 + (i % statutory) },
    clock: { startsOn: i % 2 === 0 ? 'accepted' : 'materials_received', courierTimeCounts: i % 3 === 0 },
    result: { document: '许可证' },
    materials: [
      material(1, 'application_form', '申请书', 'original'),
      material(2, 'business_licence', '营业执照', 'copy'),
      material(3, 'identity_proof', '身份证明', 'copy'),
      material(4, 'premises_proof', '场所使用证明', 'copy', {
        requirement: 'conditional',
        condition: '租赁场所时提交',
        requiredWhen: { field: 'premisesType', equals: 'leased' },
      }),
    ],
    fields: [
      { key: 'companyName', label: '名称', type: 'text', required: true, maxLength: 100, map: { liwan: { field: 'qymc' }, nanhai: { field: 'enterpriseName' } } },
      { key: 'businessScope', label: '经营范围', type: 'textarea', required: true, maxLength: 2000, map: { liwan: { field: 'jyfw' }, nanhai: { field: 'businessScope' } } },
      {
        key: 'employees',
        label: '从业人数',
        type: 'integer',
        unit: '人',
        min: 1,
        max: 9999,
        map: { liwan: { field: 'cyrs', unit: '人' }, nanhai: { field: 'employeeCount', unit: '人', as: 'number' } },
      },
      {
        key: 'registeredCapital',
        label: '注册资本',
        type: 'decimal',
        unit: '万元',
        required: true,
        min: 0.01,
        map: { liwan: { field: 'zczb', unit: '万元' }, nanhai: { field: 'registeredCapitalYuan', unit: '元', scale: 10000, as: 'number' } },
      },
      {
        key: 'plannedStart',
        label: '计划开始日期',
        type: 'date',
        required: true,
        map: { liwan: { field: 'jhksrq', dateFormat: i % 2 ? 'yyyyMMdd' : 'yyyy/MM/dd' }, nanhai: { field: 'plannedStart', dateFormat: i % 2 ? 'epochMillis' : 'yyyy-MM-dd', ...(i % 2 ? { as: 'number' } : {}) } },
      },
      {
        key: 'premisesType',
        label: '场所性质',
        type: 'enum',
        required: true,
        options: [
          { value: 'owned', label: '自有' },
          { value: 'leased', label: '租赁' },
        ],
        map: { liwan: { field: 'csxz', values: { owned: '1', leased: '2' } }, nanhai: { field: 'premisesType', values: { owned: 'OWN', leased: 'LEASE' } } },
      },
      { key: 'leaseEnds', label: '租赁到期日', type: 'date', requiredWhen: { field: 'premisesType', equals: 'leased' }, map: { liwan: { field: 'zldqr', dateFormat: 'yyyyMMdd' }, nanhai: { field: 'leaseEnds' } } },
      { key: 'byAgent', label: '是否委托代理', type: 'boolean', required: true, map: { liwan: { field: 'sfwtdl', ...BOOL_MAP.liwan }, nanhai: { field: 'byAgent', ...BOOL_MAP.nanhai } } },
      { key: 'agentIdNumber', label: '代理人身份证号码', type: 'idNumber', requiredWhen: { field: 'byAgent', equals: 'true' }, map: { liwan: { field: 'dlrsfzhm' }, nanhai: { field: 'agentIdNo' } } },
      { key: 'creditCode', label: '统一社会信用代码', type: 'creditCode', required: true, map: { liwan: { field: 'tyshxydm' }, nanhai: { field: 'uscc' } } },
      { key: 'mobile', label: '手机', type: 'mobile', required: true, map: { liwan: { field: 'sjhm' }, nanhai: { field: 'mobile' } } },
      { key: 'telephone', label: '固定电话', type: 'phone', map: { liwan: { field: 'lxdh' }, nanhai: { field: 'telephone' } } },
      { key: 'postcode', label: '邮政编码', type: 'postcode', map: { liwan: { field: 'yzbm' }, nanhai: { field: 'postalCode' } } },
    ],
  };
  if (options.full) return matter;
  return { ...matter, fields: matter.fields.filter((f) => LEAN_FIELDS.has(f.key)), materials: matter.materials.filter((m) => LEAN_MATERIALS.has(m.id)) };
}

/** A whole catalog object of n generated matters (KC-M-0001 … KC-M-n). */
export function generatedCatalog(n: number, options: GeneratedOptions = {}): { version: number; batches: unknown[]; systems: unknown; matters: Record<string, unknown>[] } {
  return { ...structuredClone(CATALOG_HEADER), matters: Array.from({ length: n }, (_, k) => generatedMatter(k + 1, options)) };
}

/** Maps written on one line, as in gateway/catalog/matters.yaml. */
const FLOW_KEYS = new Set(['statuses', 'districts', 'timeLimits', 'clock', 'result', 'map', 'requiredWhen', 'options']);

/** YAML text of a catalog, in the style of the shipped file: one line per material, compact maps. */
export function catalogYaml(catalog: object): string {
  const doc = new Document(catalog, { aliasDuplicateObjects: false });
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || !isCollection(pair.value)) return;
      if (FLOW_KEYS.has(String(pair.key.value))) pair.value.flow = true;
      if (pair.key.value === 'materials') for (const item of pair.value.items) if (isCollection(item)) item.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/** A valid catalog file of n generated matters. */
export function generatedCatalogYaml(n: number, options: GeneratedOptions = {}): string {
  return catalogYaml(generatedCatalog(n, options));
}
