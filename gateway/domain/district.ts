/** The two districts of the 跨城通办 pilot. Configuration names one of them per gateway process. */
export const DISTRICTS = ['liwan', 'nanhai'] as const;
export type District = (typeof DISTRICTS)[number];

/** Two-letter code used in case numbers (KC-LW-…, KC-NH-…). */
export const DISTRICT_CODE: Record<District, 'LW' | 'NH'> = { liwan: 'LW', nanhai: 'NH' };

export const DISTRICT_NAME_ZH: Record<District, string> = { liwan: '广州市荔湾区', nanhai: '佛山市南海区' };

export function otherDistrict(d: District): District {
  return d === 'liwan' ? 'nanhai' : 'liwan';
}

export function isDistrict(v: unknown): v is District {
  return v === 'liwan' || v === 'nanhai';
}
