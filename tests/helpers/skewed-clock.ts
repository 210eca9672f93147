/**
 * Test-only preload that makes one process's clock run KC_TEST_CLOCK_OFFSET_MS off the machine's
 * (positive: ahead). The fault suite passes it to one gateway as an extra
 * `--import ./tests/helpers/skewed-clock.ts`, so two gateways on one machine disagree about the time
 * the way two districts' servers can — without a production setting for it.
 *
 * It shifts `Date.now()` and `new Date()` (no arguments), which is where the gateway's clock
 * (gateway/clock.ts systemClock), its log times and its certificate checks read the time.
 * `performance.now()` and timers are left alone: they measure intervals, not the time of day.
 */
const offsetMs = Number(process.env['KC_TEST_CLOCK_OFFSET_MS'] ?? '0');

if (!Number.isFinite(offsetMs)) throw new Error(`KC_TEST_CLOCK_OFFSET_MS must be a number of milliseconds, not ${process.env['KC_TEST_CLOCK_OFFSET_MS']}`);

if (offsetMs !== 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);

  // A function, not a subclass: `Date()` called without `new` must still answer a string.
  function SkewedDate(this: unknown, ...args: unknown[]): Date | string {
    if (!new.target) return new RealDate(realNow() + offsetMs).toString();
    return args.length === 0 ? new RealDate(realNow() + offsetMs) : new RealDate(...(args as [string | number | Date]));
  }
  SkewedDate.prototype = RealDate.prototype;
  SkewedDate.now = (): number => realNow() + offsetMs;
  SkewedDate.parse = RealDate.parse;
  SkewedDate.UTC = RealDate.UTC;

  globalThis.Date = SkewedDate as unknown as DateConstructor;
  process.stderr.write(`${JSON.stringify({ msg: 'test clock skew in force', offsetMs })}\n`);
}

export {};
