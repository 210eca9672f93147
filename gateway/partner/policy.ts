/**
 * Which partner may do what: read once at start from KC_PARTNERS_FILE (YAML or JSON) and checked
 * whole — a bad file stops start-up with every problem listed. Deny by default: a partner that is
 * not in the file, an operation not listed for it, or a matter not listed for it is refused with
 * PARTNER_NOT_ALLOWED (gRPC PERMISSION_DENIED) and a warning in the log. Without a file every
 * partner is refused everything.
 *
 *   version: 1
 *   partners:
 *     kiosk-liwan:                        # the partner id in its client certificate (urn:kuacheng:partner:<id>)
 *       operations: [ListMatters, ForwardApplication, GetCase, WatchCase]   # RPC names of PartnerService
 *       matters: [KC-M-0001, KC-M-0002]   # matter ids of the catalog, or ['*'] for every matter
 *
 * Operations are always listed one by one (there is no '*'): an RPC added later is refused until
 * the operator allows it. A matter list governs the matter an application is forwarded for, the
 * cases a partner may read or act on (by the case's matter), what ListCases, ListMatters and the
 * supervision figures show it.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { PartnerServiceService } from '../../protos/gen/kuacheng/partner/v1/partner.js';
import type { MatterCatalog } from '../catalog/catalog.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';

/** The RPC names of PartnerService, e.g. `ForwardApplication`, straight from the generated service. */
export type PartnerOperation = Capitalize<keyof typeof PartnerServiceService>;
export const PARTNER_OPERATIONS = Object.values(PartnerServiceService).map((d) => d.path.slice(d.path.lastIndexOf('/') + 1)) as PartnerOperation[];

/** The development policy (kiosk-liwan, kiosk-nanhai: everything), for the local system and tests. */
export const DEV_PARTNERS_FILE = fileURLToPath(new URL('./partners.dev.yaml', import.meta.url));

const ALL_MATTERS = '*';
// The same rule as certs/dev-pki.ts: the id a partner certificate can carry at all.
const PARTNER_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

const grantSchema = z.strictObject({
  operations: z.array(z.enum(PARTNER_OPERATIONS as [PartnerOperation, ...PartnerOperation[]], { error: `must be one of ${PARTNER_OPERATIONS.join(', ')}` })),
  matters: z
    .array(z.string().trim().min(1, 'must not be empty'))
    .min(1, `list matter ids, or ['${ALL_MATTERS}'] for every matter`)
    .refine((ms) => !ms.includes(ALL_MATTERS) || ms.length === 1, `'${ALL_MATTERS}' stands alone`),
});

const fileSchema = z.strictObject({
  version: z.literal(1),
  partners: z.record(z.string(), grantSchema),
});

export interface PartnerPolicyProblem {
  /** `line 3, column 5`, `partners.kiosk-liwan.matters[1]`, … */
  where: string;
  message: string;
}

export class PartnerPolicyError extends Error {
  constructor(
    readonly file: string,
    readonly problems: PartnerPolicyProblem[],
  ) {
    const lines = problems.map((p) => `  ${basename(file)}: ${p.where}: ${p.message}`);
    super(`invalid partners file ${file} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
    this.name = 'PartnerPolicyError';
  }
}

/** What one partner may do in one call; handlers ask it about matters. */
export interface PartnerGrant {
  readonly partnerId: string;
  readonly operation: PartnerOperation;
  allowsMatter(matterId: string): boolean;
  /** Throws PARTNER_NOT_ALLOWED (and logs it) unless the partner may use this matter. */
  requireMatter(matterId: string): void;
}

export interface PartnerPolicy {
  /** The file it came from; undefined when KC_PARTNERS_FILE is not set (every call is refused). */
  readonly file: string | undefined;
  /** The partner ids the file names (none without a file). */
  readonly partners: readonly string[];
  /** The partner's grant for this operation; throws PARTNER_NOT_ALLOWED (and logs it) otherwise. */
  authorize(partnerId: string, operation: PartnerOperation): PartnerGrant;
}

type Grant = z.infer<typeof grantSchema>;

function zodPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(file)';
}

function policyOf(file: string | undefined, grants: ReadonlyMap<string, Grant>, logger: Logger): PartnerPolicy {
  // Ids and RPC names only: a refusal never logs what the request carried.
  const deny = (partnerId: string, operation: PartnerOperation, reason: string, message: string, matterId?: string): never => {
    logger.warn({ partnerId, operation, code: 'PARTNER_NOT_ALLOWED', reason, ...(matterId ? { matterId } : {}) }, 'partner call denied');
    throw new AppError('PARTNER_NOT_ALLOWED', message);
  };
  return {
    file,
    partners: [...grants.keys()],
    authorize(partnerId, operation) {
      const grant = grants.get(partnerId);
      if (!grant) return deny(partnerId, operation, 'unknown_partner', `partner ${partnerId} is not configured at this gateway`);
      if (!grant.operations.includes(operation)) return deny(partnerId, operation, 'operation', `partner ${partnerId} may not call ${operation}`);
      const all = grant.matters.includes(ALL_MATTERS);
      const matters = new Set(grant.matters);
      const allowsMatter = (matterId: string) => all || matters.has(matterId);
      return {
        partnerId,
        operation,
        allowsMatter,
        requireMatter(matterId) {
          if (!allowsMatter(matterId)) deny(partnerId, operation, 'matter', `partner ${partnerId} may not use matter ${matterId}`, matterId);
        },
      };
    },
  };
}

/** Parses and checks a partners file's text (YAML or JSON); throws PartnerPolicyError with every problem. */
export function parsePartnerPolicy(text: string, file: string, opts: { catalog: MatterCatalog; logger: Logger }): PartnerPolicy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new PartnerPolicyError(
      file,
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { where: `line ${line}, column ${col}`, message: e.message.split('\n')[0]! };
      }),
    );
  }
  const data: unknown = doc.toJS();
  const parsed = fileSchema.safeParse(data);
  const problems: PartnerPolicyProblem[] = parsed.success ? [] : parsed.error.issues.map((i) => ({ where: zodPath(i.path), message: i.message }));
  // Ids are checked apart from the schema, so a bad id does not hide the problems of its grant.
  const partners = (data as { partners?: unknown } | null)?.partners;
  for (const partnerId of partners && typeof partners === 'object' ? Object.keys(partners) : []) {
    if (!PARTNER_ID.test(partnerId)) {
      problems.push({ where: `partners.${partnerId}`, message: 'a partner id is lowercase letters, digits and dashes (at most 64), as in its certificate' });
    }
  }
  if (!parsed.success) throw new PartnerPolicyError(file, problems);
  for (const [partnerId, grant] of Object.entries(parsed.data.partners)) {
    // A matter id the catalog does not know is a typo: refusing to start beats silently denying it.
    grant.matters.forEach((m, n) => {
      if (m !== ALL_MATTERS && !opts.catalog.get(m)) problems.push({ where: `partners.${partnerId}.matters[${n}]`, message: `${m} is not a matter of the catalog` });
    });
  }
  if (problems.length > 0) throw new PartnerPolicyError(file, problems);
  return policyOf(file, new Map(Object.entries(parsed.data.partners)), opts.logger);
}

/** Reads KC_PARTNERS_FILE and says at start what it allows; without one, every partner is refused. */
export function loadPartnerPolicy(file: string | undefined, opts: { catalog: MatterCatalog; logger: Logger }): PartnerPolicy {
  if (file === undefined) {
    opts.logger.warn('KC_PARTNERS_FILE is not set: every partner call is refused (PARTNER_NOT_ALLOWED)');
    return policyOf(undefined, new Map(), opts.logger);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PartnerPolicyError(file, [{ where: '(file)', message: `cannot be read: ${(err as Error).message}` }]);
  }
  const policy = parsePartnerPolicy(text, file, opts);
  opts.logger.info({ file, partners: policy.partners }, 'partner policy loaded');
  return policy;
}
