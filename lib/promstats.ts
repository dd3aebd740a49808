import { Counter, type Registry } from "prom-client";

/**
 * A prom-client counter that mirrors a cumulative number kept elsewhere (a stats object),
 * read at scrape time: the owner of the number need not know about Prometheus. A number that
 * goes down (its owner was replaced) is not subtracted: the counter waits until it passes its
 * last value again, so the series never decreases.
 */
export function mirroredCounter(registry: Registry, name: string, help: string, read: () => number): Counter {
  let seen = 0;
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = Math.max(seen, now);
    },
  });
}

/**
 * The same for a family of cumulative numbers told apart by one label (`reason`, `outcome`):
 * `read` gives each label value's current total, e.g. a `Map<string, number>` or an array of pairs.
 */
export function mirroredCounters(registry: Registry, name: string, help: string, label: string, read: () => Iterable<readonly [string, number]>): Counter {
  const seen = new Map<string, number>();
  return new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      for (const [value, now] of read()) {
        const before = seen.get(value) ?? 0;
        if (now > before) this.inc({ [label]: value }, now - before);
        seen.set(value, Math.max(before, now));
      }
    },
  });
}
