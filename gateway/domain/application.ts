/**
 * The shared application model: what a window takes in and what crosses to the handling district.
 * Personal data lives only here and in the approval systems — never in logs.
 */
export type ApplicantKind = 'person' | 'company';

export interface Applicant {
  kind: ApplicantKind;
  /** Person's name, or the company's registered name. */
  name: string;
  /** Resident ID number (person) — GB 11643-1999. */
  idNumber?: string;
  /** Unified social credit code (company) — GB 32100-2015. */
  creditCode?: string;
  /** Contact person's mobile number. */
  phone: string;
  address?: string;
}

export type MaterialForm = 'original' | 'copy';

export interface Material {
  name: string;
  form: MaterialForm;
  copies: number;
}

/** Form values are strings on the wire; the matter's field definitions say how to read them. */
export type FormValues = Record<string, string>;

export interface Application {
  matterId: string;
  applicant: Applicant;
  form: FormValues;
  materials: Material[];
}
