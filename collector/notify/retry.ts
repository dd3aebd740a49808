import type { DeliveryOutcome, Notification, Receiver } from "./receiver.js";

export interface RetryOptions {
  /** Most attempts, the first included. Default 5. */
  attempts?: number;
  /** First pause; doubled each time, with ±50% jitter. Default 1s. */
  baseMs?: number;
  maxMs?: number;
  /** No attempt starts past this many ms after the first (Alertmanager bounds a flush by group_interval). */
  deadlineMs: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export interface Delivery {
  outcome: DeliveryOutcome;
  attempts: number;
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(t); resolve(); }, { once: true });
  });

/** Sends with exponential backoff and jitter while the failure is retryable and the deadline allows. */
export async function sendWithRetry(receiver: Receiver, n: Notification, signal: AbortSignal, o: RetryOptions): Promise<Delivery> {
  const attempts = o.attempts ?? 5;
  const base = o.baseMs ?? 1000;
  const max = o.maxMs ?? 30_000;
  const sleep = o.sleep ?? defaultSleep;
  const random = o.random ?? Math.random;
  const now = o.now ?? (() => performance.now());
  const started = now();
  let outcome: DeliveryOutcome = { ok: false, retryable: false, error: "not sent" };
  for (let i = 1; i <= attempts; i++) {
    outcome = await receiver.send(n, signal).catch((err: unknown) => ({ ok: false as const, retryable: true, error: (err as Error).message }));
    if (outcome.ok || !outcome.retryable || i === attempts || signal.aborted) return { outcome, attempts: i };
    const pause = Math.min(max, base * 2 ** (i - 1)) * (0.5 + random());
    if (now() - started + pause > o.deadlineMs) return { outcome, attempts: i };
    await sleep(pause, signal);
  }
  return { outcome, attempts };
}
