import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // tests/browser drives a headless Chromium (/usr/bin/chromium, see tests/helpers/browser.ts).
    include: ['tests/{unit,integration,e2e,fault,security,browser}/**/*.test.ts'],
    // Integration suites start real redis-server and gateway processes; keep them from
    // fighting over two cores.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ['tests/helpers/no-network.ts'],
  },
});
