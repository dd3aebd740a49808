/**
 * Per-second rate between two readings of a cumulative counter. A value lower than the one
 * before means the counter restarted from zero (agent or container restart, reboot): the rate
 * is then the new value over the interval, as Prometheus' `rate()` does. Undefined when time
 * did not move forward (a repeated or out-of-order reading).
 */
export function counterRate(prevValue: number, prevTime: number, value: number, time: number): number | undefined {
  const dt = (time - prevTime) / 1000;
  if (!(dt > 0)) return undefined;
  const increase = value >= prevValue ? value - prevValue : value;
  return increase / dt;
}
