/**
 * Beijing time (Asia/Shanghai) without the host's zone database: China has kept UTC+8 all year
 * since 1991, so a fixed offset is exact for every date an approval system will ever send, and the
 * result does not depend on process.env.TZ.
 */
const OFFSET_MS = 8 * 60 * 60 * 1000;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The wall-clock fields of an instant in Beijing. */
function beijingFields(epochMs: number): { y: number; mo: number; d: number; h: number; mi: number; s: number; ms: number } {
  const t = new Date(epochMs + OFFSET_MS);
  return {
    y: t.getUTCFullYear(),
    mo: t.getUTCMonth() + 1,
    d: t.getUTCDate(),
    h: t.getUTCHours(),
    mi: t.getUTCMinutes(),
    s: t.getUTCSeconds(),
    ms: t.getUTCMilliseconds(),
  };
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing, no offset (seconds are truncated). */
export function formatBeijingLocal(epochMs: number): string {
  const f = beijingFields(epochMs);
  return `${pad(f.y, 4)}-${pad(f.mo)}-${pad(f.d)} ${pad(f.h)}:${pad(f.mi)}:${pad(f.s)}`;
}

/** `yyyyMMdd` of the Beijing calendar day. */
export function beijingDate(epochMs: number): string {
  const f = beijingFields(epochMs);
  return `${pad(f.y, 4)}${pad(f.mo)}${pad(f.d)}`;
}

/** ISO 8601 with the +08:00 offset and milliseconds: `2024-05-06T09:30:00.000+08:00`. */
export function formatBeijingIso(epochMs: number): string {
  const f = beijingFields(epochMs);
  return `${pad(f.y, 4)}-${pad(f.mo)}-${pad(f.d)}T${pad(f.h)}:${pad(f.mi)}:${pad(f.s)}.${pad(f.ms, 3)}+08:00`;
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Parses `yyyy-MM-dd HH:mm:ss` read as Beijing time; undefined when not a real date and time. */
export function parseBeijingLocal(text: string): number | undefined {
  const m = LOCAL_RE.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const epochMs = Date.UTC(y, mo - 1, d, h, mi, s) - OFFSET_MS;
  // Date.UTC rolls 2024-02-30 over to March: a round trip catches impossible dates and times.
  return formatBeijingLocal(epochMs) === text ? epochMs : undefined;
}

const ISO_WITH_OFFSET_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Parses an ISO 8601 instant that carries an offset (or Z); undefined otherwise (2024-02-30 too). */
export function parseIsoInstant(text: string): number | undefined {
  const m = ISO_WITH_OFFSET_RE.exec(text);
  if (!m) return undefined;
  const epochMs = Date.parse(text);
  if (!Number.isFinite(epochMs)) return undefined;
  // Date.parse rolls 2024-02-30 over to March: the wall-clock fields must survive the round trip.
  const offsetMs = m[3] === 'Z' ? 0 : (m[4] === '-' ? -1 : 1) * (Number(m[5]) * 60 + Number(m[6])) * 60_000;
  const wall = new Date(Math.floor(epochMs / 1000) * 1000 + offsetMs).toISOString().slice(0, 19);
  return wall === m[1] ? epochMs : undefined;
}
