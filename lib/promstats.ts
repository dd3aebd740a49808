import { Counter, type Registry } from "prom-client";

/**
 * A prom-client counter that mirrors a cumulative number kept elsewhere (a stats object),
 * read at scrape time: the owner of the number need not know about Prometheus.
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
