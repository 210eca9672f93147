/**
 * The catalog as windows and partners see it: what to fill in and hand over, without the district
 * systems' field maps (those are the adapters' business). One query for REST and gRPC alike.
 */
import { z } from 'zod';
import type { GatewayContext } from '../context.js';
import { DISTRICTS } from '../domain/district.js';
import { MATTER_DOMAIN_ZH, MATTER_DOMAINS, type Matter } from '../catalog/schema.js';
import type { MatterFilter } from '../catalog/catalog.js';
import { invalidFields } from '../errors.js';
import { shanghaiDateOf } from '../calendar/dates.js';

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

export const matterQuerySchema = z.object({
  handlingDistrict: z.preprocess(emptyAsUndefined, z.enum(DISTRICTS).optional()),
  domain: z.preprocess(emptyAsUndefined, z.enum(MATTER_DOMAINS).optional()),
  batch: z.preprocess(emptyAsUndefined, z.string().max(40).optional()),
  // REST passes the query string's 'true' / 'false'; gRPC a boolean.
  includeUnavailable: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false),
});

export function matterView(ctx: GatewayContext, m: Matter, today: string) {
  const handling = m.districts[m.handlingDistrict];
  return {
    id: m.id,
    name: m.name,
    domain: m.domain,
    domainLabel: MATTER_DOMAIN_ZH[m.domain],
    batch: m.batch,
    effectiveFrom: m.effectiveFrom,
    withdrawnFrom: m.withdrawnFrom ?? null,
    handlingDistrict: m.handlingDistrict,
    applicantKind: m.applicantKind,
    handlingCode: handling.code,
    handlingName: handling.name,
    handlingDepartment: handling.department,
    timeLimits: m.timeLimits,
    clock: m.clock,
    resultDocument: m.result.document,
    availability: ctx.catalog.availability(m, today),
    materials: m.materials.map(({ codes: _codes, ...material }) => material),
    fields: m.fields.map(({ map: _map, ...field }) => field),
  };
}
export type MatterView = ReturnType<typeof matterView>;

/** The matters a query asks for; by default those this district's windows may take in today. */
export function listMatters(ctx: GatewayContext, query: Record<string, unknown>): { matters: MatterView[]; catalogVersion: string } {
  const parsed = matterQuerySchema.safeParse(query);
  if (!parsed.success) {
    throw invalidFields(parsed.error.issues, (field) => `筛选条件无效：${field}`);
  }
  const q = parsed.data;
  const today = shanghaiDateOf(ctx.clock.now());
  const filter: MatterFilter = {
    ...(q.handlingDistrict ? { handlingDistrict: q.handlingDistrict } : {}),
    ...(q.domain ? { domain: q.domain } : {}),
    ...(q.batch ? { batch: q.batch } : {}),
    ...(q.includeUnavailable ? {} : { takenInBy: ctx.district, openOn: today }),
  };
  return { matters: ctx.catalog.list(filter).map((m) => matterView(ctx, m, today)), catalogVersion: ctx.catalog.version };
}
