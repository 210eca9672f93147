/*
 * The catalog's field rules as the window types (the same rules as gateway/intake/field-rules.ts
 * and identifiers.ts, so a clerk hears about a mistyped number before submitting; the server
 * checks again and its answer is shown next to the field).
 */

const INTEGER = /^-?\d{1,15}$/;
const DECIMAL = /^-?\d{1,15}(\.\d{1,6})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const POSTCODE = /^\d{6}$/;
const FIXED_LINE = /^0\d{2,3}-?\d{7,8}$/;
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';
const CREDIT_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** GB 11643-1999: 17 digits, MOD 11-2 check character, a real birth date not in the future. */
export function isValidResidentId(id, nowMs = Date.now()) {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const birth = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || birth.getUTCMonth() !== m - 1 || birth.getUTCDate() !== d || birth.getTime() > nowMs) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * ID_WEIGHTS[i];
  return ID_CHECK[sum % 11] === id[17];
}

/** GB 32100-2015: 18 characters, MOD 31 check character. */
export function isValidCreditCode(code) {
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(code)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CREDIT_CHARS.indexOf(code[i]) * CREDIT_WEIGHTS[i];
  return CREDIT_CHARS[(31 - (sum % 31)) % 31] === code[17];
}

export const isValidMobile = (phone) => /^1[3-9]\d{9}$/.test(phone);

function isRealDate(s) {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** What a clerk types, read as meant: full-width digits and letters from a Chinese IME become ASCII. */
export function normalise(type, value) {
  const v = String(value ?? '').normalize('NFKC').trim();
  if (type === 'idNumber' || type === 'creditCode') return v.replace(/\s+/g, '').toUpperCase();
  if (type === 'mobile' || type === 'phone' || type === 'postcode') return v.replace(/\s+/g, '');
  return v;
}

/** Whether a conditional item is needed, given the form's values. */
export function conditionHolds(cond, form) {
  return Boolean(cond) && (form[cond.field] ?? '').trim() === cond.equals;
}

/** The message for one catalog field's value ('' when fine); `form` for requiredWhen. */
export function fieldMessage(f, value, form, nowMs = Date.now()) {
  if (value === '') return f.required || conditionHolds(f.requiredWhen, form) ? `请填写${f.label}` : '';
  const range = (n) => {
    if (f.min !== undefined && f.min !== null && n < f.min) return `${f.label}不得小于${f.min}${f.unit ?? ''}`;
    if (f.max !== undefined && f.max !== null && n > f.max) return `${f.label}不得大于${f.max}${f.unit ?? ''}`;
    return '';
  };
  switch (f.type) {
    case 'text':
    case 'textarea':
      if (f.maxLength && [...value].length > f.maxLength) return `${f.label}不得超过${f.maxLength}个字`;
      if (f.pattern) {
        try {
          if (!new RegExp(`^(?:${f.pattern})$`, 'u').test(value)) return `${f.label}格式不正确`;
        } catch {
          return ''; // a pattern this browser cannot read: the server decides
        }
      }
      return '';
    case 'integer':
      return INTEGER.test(value) ? range(Number(value)) : `${f.label}须为整数`;
    case 'decimal':
      return DECIMAL.test(value) ? range(Number(value)) : `${f.label}须为数字`;
    case 'date':
      return isRealDate(value) ? '' : `${f.label}须为有效日期（YYYY-MM-DD）`;
    case 'enum':
      return (f.options ?? []).some((o) => o.value === value) ? '' : `请选择${f.label}`;
    case 'boolean':
      return value === 'true' || value === 'false' ? '' : `请选择${f.label}`;
    case 'mobile':
      return isValidMobile(value) ? '' : `${f.label}不是有效的手机号码`;
    case 'phone':
      return isValidMobile(value) || FIXED_LINE.test(value) ? '' : `${f.label}不是有效的电话号码`;
    case 'postcode':
      return POSTCODE.test(value) ? '' : `${f.label}须为6位邮政编码`;
    case 'idNumber':
      return isValidResidentId(value, nowMs) ? '' : f.label.includes('身份证') ? `${f.label}无效，请核对` : `${f.label}不是有效的居民身份证号码`;
    case 'creditCode':
      return isValidCreditCode(value) ? '' : f.label.includes('信用代码') ? `${f.label}无效，请核对` : `${f.label}不是有效的统一社会信用代码`;
    default:
      return '';
  }
}
