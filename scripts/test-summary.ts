/** Prints vitest's JSON results as one plain line: "tests: N passed, N failed" (", N skipped" if any). */
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: test-summary <vitest-json-results>');
interface FileResult {
  status: string;
  assertionResults: { status: string }[];
}
let results: { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; testResults: FileResult[] };
try {
  results = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  console.log('tests: 0 passed, 1 failed');
  console.error(`no test results in ${file}: the test run did not finish`);
  process.exit(1);
}
const skipped = results.numPendingTests + results.numTodoTests;
// A file whose set-up failed runs none of its tests: count it as one failure, not as skips. (vitest's
// numFailedTestSuites also counts every describe block around a failed test, so it over-counts.)
const brokenFiles = results.testResults.filter((r) => r.status === 'failed' && !r.assertionResults.some((a) => a.status === 'failed')).length;
const failed = results.numFailedTests + brokenFiles;
console.log(`tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (results.numPassedTests === 0) process.exit(1);
