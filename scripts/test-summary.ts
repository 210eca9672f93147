/** Prints vitest's JSON results as one plain line: "tests: N passed, N failed" (", N skipped" if any). */
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: test-summary <vitest-json-results>');
let results: { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; numFailedTestSuites: number };
try {
  results = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  console.log('tests: 0 passed, 1 failed');
  console.error(`no test results in ${file}: the test run did not finish`);
  process.exit(1);
}
const skipped = results.numPendingTests + results.numTodoTests;
// A suite whose set-up failed runs none of its tests: count it as a failure, not as skips.
const failed = results.numFailedTests + results.numFailedTestSuites;
console.log(`tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (results.numPassedTests === 0) process.exit(1);
