/**
 * What the fuzz run counts and what it refuses to accept, per answer:
 *
 * REST — every answer below 500; every refusal (4xx) JSON with a stable code from ERROR_CODES (no
 * express HTML page, no empty body); a change (POST, PUT, PATCH, DELETE) never succeeds.
 *
 * gRPC — acceptable statuses are the ones our code → status table gives to refusals of bad input or
 * of a caller: INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED,
 * FAILED_PRECONDITION and UNAUTHENTICATED, each with a known `kc-error-code` trailer (so the
 * refusal came from our handler, not from grpc-js). OK only for partner reads (ListMatters,
 * ListCases, GetSupervisionFigures… — random bytes can be a valid filter). Not acceptable:
 * INTERNAL and UNKNOWN (an unhandled error), UNAVAILABLE (every dependency is up, so it means the
 * gateway died or dropped the connection), DEADLINE_EXCEEDED and CANCELLED (a hang), DATA_LOSS,
 * and OK for any write or for the peer API (something was accepted).
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { isErrorCode } from '../../gateway/errors.js';
import type { GrpcAnswer, GrpcInput } from './fuzz-grpc.js';
import type { RestAnswer, RestInput } from './fuzz-rest.js';

export const ACCEPTABLE_GRPC = new Set<number>([
  GrpcStatus.INVALID_ARGUMENT,
  GrpcStatus.NOT_FOUND,
  GrpcStatus.ALREADY_EXISTS,
  GrpcStatus.PERMISSION_DENIED,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.FAILED_PRECONDITION,
  GrpcStatus.UNAUTHENTICATED,
]);

const PARTNER_READS = /^partner:(listMatters|listCases|getSupervisionFigures|getCase|getCaseTimeline|watchCase):/;
const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const STATUS_NAME = Object.fromEntries(Object.entries(GrpcStatus).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v, k])) as Record<number, string>;

export class Tally {
  private readonly counts = new Map<string, Map<string, number>>();
  readonly violations: string[] = [];
  private violationCount = 0;

  private count(api: string, answer: string): void {
    const perApi = this.counts.get(api) ?? new Map<string, number>();
    perApi.set(answer, (perApi.get(answer) ?? 0) + 1);
    this.counts.set(api, perApi);
  }

  private violate(what: string): void {
    this.violationCount++;
    // The first few are enough to reproduce (the seed and the input number say the rest).
    if (this.violations.length < 25) this.violations.push(what);
  }

  private readonly timeByKind = new Map<string, { n: number; ms: number }>();

  /** How long an input of `kind` took to be answered (for the slowest-kinds line of the report). */
  timed(kind: string, ms: number): void {
    const t = this.timeByKind.get(kind) ?? { n: 0, ms: 0 };
    t.n++;
    t.ms += ms;
    this.timeByKind.set(kind, t);
  }

  get violationTotal(): number {
    return this.violationCount;
  }

  rest(i: number, input: RestInput, answer: RestAnswer | Error): void {
    if (answer instanceof Error) {
      this.count('rest', 'transport error');
      this.violate(`rest #${i} ${input.kind} ${input.method} ${input.path.slice(0, 80)}: no answer (${answer.message})`);
      return;
    }
    let code: string | undefined;
    try {
      code = (JSON.parse(answer.text) as { error?: { code?: unknown } }).error?.code as string | undefined;
    } catch {
      code = undefined;
    }
    this.count('rest', `${answer.status} ${code ?? '-'}`);
    const where = `rest #${i} ${input.kind} ${input.method} ${input.path.slice(0, 80)}`;
    if (answer.status >= 500) this.violate(`${where}: ${answer.status} ${answer.text.slice(0, 200)}`);
    else if (answer.status >= 400 && (!answer.contentType.startsWith('application/json') || !isErrorCode(code))) {
      this.violate(`${where}: ${answer.status} without a JSON error code (${answer.contentType}) ${answer.text.slice(0, 120)}`);
    } else if (answer.status < 400 && CHANGES.has(input.method)) this.violate(`${where}: accepted with ${answer.status} ${answer.text.slice(0, 200)}`);
  }

  grpc(api: 'partner' | 'peer', i: number, input: GrpcInput, answer: GrpcAnswer): void {
    this.count(api, `${STATUS_NAME[answer.status] ?? answer.status} ${answer.code ?? '-'}`);
    const where = `${api} #${i} ${input.kind} (${input.bytes.length} bytes)`;
    if (answer.status === GrpcStatus.OK) {
      if (!PARTNER_READS.test(input.kind)) this.violate(`${where}: accepted (OK)`);
      return;
    }
    if (!ACCEPTABLE_GRPC.has(answer.status)) this.violate(`${where}: ${STATUS_NAME[answer.status] ?? answer.status} ${answer.code ?? '-'} ${answer.details.slice(0, 200)}`);
    else if (!isErrorCode(answer.code)) this.violate(`${where}: ${STATUS_NAME[answer.status]} without a kc-error-code: ${answer.details.slice(0, 200)}`);
  }

  /** Inputs per API and per answer, most frequent first. */
  report(): string {
    const lines: string[] = [];
    for (const [api, perApi] of this.counts) {
      const total = [...perApi.values()].reduce((a, b) => a + b, 0);
      lines.push(`${api}: ${total} inputs`);
      for (const [answer, n] of [...perApi].sort((a, b) => b[1] - a[1])) lines.push(`  ${String(n).padStart(7)}  ${answer}`);
    }
    const slowest = [...this.timeByKind].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8);
    lines.push(`slowest kinds (total s / inputs): ${slowest.map(([k, t]) => `${k} ${(t.ms / 1000).toFixed(1)}/${t.n}`).join(', ')}`);
    return lines.join('\n');
  }

  total(api: string): number {
    return [...(this.counts.get(api)?.values() ?? [])].reduce((a, b) => a + b, 0);
  }
}
