/**
 * The one shape every benchmark reports in, so that `npm run bench` (tests/bench/run.ts) can put
 * them in one JSON file and one Markdown table.
 *
 * A figure is never shown alone: it names the baseline it was measured against in the same run
 * (these machines are shared and noisy, so only ratios travel between runs), and the target the
 * issue sets for it, if any. A baseline that another benchmark measured (the gRPC echo rate, say)
 * is named by its key, "<bench>.<figure id>", and the runner works out the ratio once every
 * benchmark has run; a baseline measured inside the same benchmark gives its ratio directly.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../scripts/processes.js';

export const BENCH_OUT = join(REPO_ROOT, 'var', 'bench');

export interface Target {
  /** The target as the reader should read it, e.g. "≥ 40 % of the gRPC echo rate". */
  text: string;
  met: boolean;
}

export interface Figure {
  /** Stable key within its benchmark (other figures' `baseline` points at "<bench>.<id>"). */
  id: string;
  /** What was measured, in words. */
  label: string;
  value: number;
  unit: string;
  /** This figure is itself a baseline for others. */
  isBaseline?: boolean;
  /** The same-run baseline: "<bench>.<id>" of a figure of another benchmark, or a label when `ratio` is given. */
  baseline?: string;
  /** value / baseline value (or the inverse where a smaller figure is better: see `ratioNote`). */
  ratio?: number;
  /** How to read the ratio, when not obvious ("tick(1M) / tick(10k)"). */
  ratioNote?: string;
  /**
   * A target stated relative to the baseline, checked by the runner once the ratio is known:
   * met when ratio ≥ minRatio.
   */
  minRatio?: number;
  target?: Target;
  /** Anything the reader needs beside the number (p50/p99, sample size). */
  note?: string;
}

export interface BenchReport {
  bench: string;
  title: string;
  figures: Figure[];
  /** Raw numbers behind the figures, for whoever wants to dig. */
  details?: Record<string, unknown>;
  startedAt: string;
  seconds: number;
}

export function machine(): string {
  const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${process.platform} ${process.arch}, Node ${process.version}`;
}

/** Times a benchmark, writes var/bench/<bench>.json and prints its table. */
export async function runBench(
  bench: string,
  title: string,
  measure: () => Promise<{ figures: Figure[]; details?: Record<string, unknown> }>,
): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const t = performance.now();
  const { figures, details } = await measure();
  return writeReport({ bench, title, figures, details, startedAt, seconds: Math.round((performance.now() - t) / 100) / 10 });
}

/** startedAt and seconds of a benchmark that is the whole process. */
export function selfTimed(): { startedAt: string; seconds: number } {
  return { startedAt: new Date(performance.timeOrigin).toISOString(), seconds: Math.round(performance.now() / 100) / 10 };
}

/** Writes var/bench/<bench>.json and prints the table (for benchmarks that time themselves). */
export function writeReport(report: BenchReport): BenchReport {
  mkdirSync(BENCH_OUT, { recursive: true });
  writeFileSync(join(BENCH_OUT, `${report.bench}.json`), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n### ${report.title}\n\n${markdownTable([report])}\n`);
  return report;
}

/** Fills in ratios and target checks that depend on another benchmark's baseline. */
export function resolveBaselines(reports: BenchReport[]): void {
  const byKey = figuresByKey(reports);
  for (const r of reports) {
    for (const f of r.figures) {
      const base = f.baseline ? byKey.get(f.baseline) : undefined;
      if (base && f.ratio === undefined && base.value > 0) f.ratio = round(f.value / base.value, 3);
      if (f.minRatio !== undefined && f.ratio !== undefined && f.target) f.target.met = f.ratio >= f.minRatio;
    }
  }
}

export function markdownTable(reports: BenchReport[]): string {
  const byKey = figuresByKey(reports);
  const rows = reports.flatMap((r) =>
    r.figures.map((f) => {
      const base = f.baseline ? (byKey.get(f.baseline)?.label ?? f.baseline) : f.isBaseline ? '(baseline)' : '';
      const ratio = f.ratio === undefined ? '' : `${formatNumber(f.ratio)}×${f.ratioNote ? ` (${f.ratioNote})` : ''}`;
      const target = f.target ? `${f.target.met ? '✅' : '❌'} ${f.target.text}` : '';
      return `| ${f.label} | ${formatNumber(f.value)} ${f.unit}${f.note ? ` (${f.note})` : ''} | ${base} | ${ratio} | ${target} |`;
    }),
  );
  return ['| figure | value | same-run baseline | ratio | target |', '|---|---:|---|---:|---|', ...rows].join('\n');
}

/** Every figure by the key other figures name it with: "<bench>.<id>". */
function figuresByKey(reports: BenchReport[]): Map<string, Figure> {
  const byKey = new Map<string, Figure>();
  for (const r of reports) for (const f of r.figures) byKey.set(`${r.bench}.${f.id}`, f);
  return byKey;
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Percentile of sorted samples (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
