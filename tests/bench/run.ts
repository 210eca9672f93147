/**
 * The benchmark suite (`npm run bench`; not part of npm test). Runs every benchmark in its own
 * process, one after the other so they do not share the machine with each other, baselines first
 * so that the figures measured against them are as close in time as the run allows. Then it works
 * out the ratios against baselines of other benchmarks and writes
 *
 *   var/bench/report.json   every figure of every benchmark, with the machine and the date
 *   var/bench/report.md     the same as one Markdown table
 *
 * and prints the table. `--readme` also puts the table into README.md between the
 * `<!-- bench:start -->` and `<!-- bench:end -->` markers. `--only forward,calendar` runs some.
 * A benchmark that fails is reported and the run exits 1; a missed target does not fail the run
 * (the table says so).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/processes.js';
import { BENCH_OUT, machine, markdownTable, resolveBaselines, type BenchReport } from './lib/report.js';

/** In run order; each is tests/bench/<name>.bench.ts and writes var/bench/<name>.json. */
const SUITE = ['baselines', 'forward', 'calendar', 'timers', 'tracking', 'tracking-store', 'memory'] as const;
const TIME_LIMIT_MS = 240_000;

const args = process.argv.slice(2);
const only = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1]?.split(',')) : undefined;
const benches = SUITE.filter((b) => !only || only.has(b));

const started = performance.now();
const failed: string[] = [];
for (const bench of benches) {
  const out = join(BENCH_OUT, `${bench}.json`);
  rmSync(out, { force: true });
  console.log(`\n== ${bench} ==`);
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('tests', 'bench', `${bench}.bench.ts`)], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    timeout: TIME_LIMIT_MS,
  });
  const seconds = ((performance.now() - t) / 1000).toFixed(0);
  if (r.status !== 0 || !existsSync(out)) {
    failed.push(bench);
    console.error(`bench: ${bench} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}) after ${seconds} s`);
  } else {
    console.log(`bench: ${bench} done in ${seconds} s`);
  }
}

const reports = benches.flatMap((b) => {
  const file = join(BENCH_OUT, `${b}.json`);
  return existsSync(file) ? [JSON.parse(readFileSync(file, 'utf8')) as BenchReport] : [];
});
resolveBaselines(reports);

const at = new Date().toISOString();
const host = machine();
const minutes = ((performance.now() - started) / 60_000).toFixed(1);
writeFileSync(join(BENCH_OUT, 'report.json'), `${JSON.stringify({ at, machine: host, minutes: Number(minutes), failed, reports }, null, 2)}\n`);
const table = `${markdownTable(reports)}\n\nMeasured ${at.slice(0, 10)} on ${host}, in ${minutes} min (\`npm run bench\`).`;
writeFileSync(join(BENCH_OUT, 'report.md'), `${table}\n`);
console.log(`\n${table}\n\nWritten to var/bench/report.json and var/bench/report.md.`);

if (args.includes('--readme')) {
  const readme = join(REPO_ROOT, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) {
    console.error(`README.md has no ${start} … ${end} block to write the table into`);
    process.exitCode = 1;
  } else {
    writeFileSync(readme, `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`);
    console.log('README.md updated.');
  }
}
if (failed.length > 0) {
  console.error(`bench: failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
