/**
 * Personal data never in logs: a scan of every gateway log line a fault scenario produced, for the
 * personal values the suite put into applications (./fault-applications.ts) and for anything
 * shaped like a resident ID number or a mobile number, whoever typed it.
 *
 * The shapes are matched as whole tokens (no letter or digit either side), so case numbers
 * (KC-LW-20261121-000123), local numbers (LW20261121000001), ULIDs, digests and epoch-millisecond
 * times do not count, while "phone":"13912345678" or 身份证440103198503124718 do.
 */
import { expect, it } from 'vitest';
import { allPersonalValues } from './fault-applications.js';

export const ID_NUMBER_SHAPE = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/;
export const MOBILE_SHAPE = /(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])/;

export interface PersonalDataHit {
  /** 1-based line number in the scanned text. */
  line: number;
  what: 'value' | 'id-number-shape' | 'mobile-shape';
  found: string;
}

/** Every line of `logs` that holds one of `values` or an ID- or mobile-shaped token. */
export function personalDataIn(logs: string, values: readonly string[] = allPersonalValues()): PersonalDataHit[] {
  const hits: PersonalDataHit[] = [];
  logs.split('\n').forEach((text, n) => {
    const line = n + 1;
    for (const v of values) if (text.includes(v)) hits.push({ line, what: 'value', found: v });
    const id = ID_NUMBER_SHAPE.exec(text);
    if (id) hits.push({ line, what: 'id-number-shape', found: id[0] });
    const mobile = MOBILE_SHAPE.exec(text);
    if (mobile) hits.push({ line, what: 'mobile-shape', found: mobile[0] });
  });
  return hits;
}

/** Fails with the first few offending lines (the values are test data, safe to show). */
export function expectNoPersonalData(logs: string, source: string): void {
  const hits = personalDataIn(logs);
  const lines = logs.split('\n');
  const shown = hits.slice(0, 5).map((h) => `${h.what} ${h.found} in line ${h.line}: ${lines[h.line - 1]!.slice(0, 300)}`);
  expect(shown, `personal data in ${source}`).toEqual([]);
}

/**
 * The last test of a scenario file: registered after the scenario's own tests, it reads every
 * gateway log (replicas included) once they have run.
 */
export function itKeepsPersonalDataOutOfLogs(logs: () => string): void {
  it('when the scenario is over, then no gateway log line holds personal data or an ID- or mobile-shaped number', () => {
    const text = logs();
    expect(text.length, 'the gateways wrote logs').toBeGreaterThan(0);
    expectNoPersonalData(text, 'the gateway logs');
  });
}
