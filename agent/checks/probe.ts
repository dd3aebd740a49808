import { lookup as dnsLookup } from "node:dns";
import type { LookupFunction } from "node:net";
import type { PeerCertificate } from "node:tls";

/** What a probe saw at the transport and HTTP level; judging it is judge.ts's business. */
export interface ProbeOutcome {
  connected: boolean;
  /** From start to the end of the body (or the failure), ms. */
  durationMs: number;
  /** Per-phase durations in ms, where measured: dns, connect, tls, firstByte (request sent → first response byte). */
  phases: { dns?: number; connect?: number; tls?: number; firstByte?: number };
  ip?: string;
  status?: number;
  contentType?: string;
  body?: string;
  /** The body was longer than the limit and was cut. */
  bodyTruncated?: boolean;
  tls?: { notAfter: Date; issuer: string; subject: string; authorized: boolean };
  error?: { type: "timeout" | "dns" | "connect" | "tls" | "http_status"; message: string };
}

export type TransportErrorType = NonNullable<ProbeOutcome["error"]>["type"];

/** Error codes Vigie sets itself on the errors it makes the socket fail with. */
export const TIMEOUT_CODE = "VIGIE_PROBE_TIMEOUT";
export const TLS_CODE = "VIGIE_PROBE_TLS";

const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NODATA", "EAI_NONAME", "ESERVFAIL", "ENODATA"]);

/** Sorts a Node socket/HTTP error into the bounded error types of a check result. */
export function classifyError(err: unknown): { type: TransportErrorType; message: string } {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = typeof e?.code === "string" ? e.code : "";
  const message = String(e?.message ?? err);
  if (code === TIMEOUT_CODE) return { type: "timeout", message };
  if (DNS_CODES.has(code)) return { type: "dns", message };
  if (code === TLS_CODE || /^(ERR_TLS|ERR_SSL|CERT_|ERR_OSSL)/.test(code) || /SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH|EPROTO/.test(code)) return { type: "tls", message };
  if (code.startsWith("HPE_")) return { type: "http_status", message: `invalid HTTP response: ${message}` };
  return { type: "connect", message: code && !message.includes(code) ? `${code}: ${message}` : message };
}

export function probeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * dns.lookup, except that names under `.invalid` fail at once without asking any resolver
 * (RFC 6761 §6.4: resolver APIs should answer them negatively themselves).
 */
export const lookup: LookupFunction = (hostname, options, callback) => {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  if (h === "invalid" || h.endsWith(".invalid")) {
    const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", hostname, syscall: "getaddrinfo" });
    process.nextTick(() => callback(err, "", 4));
    return;
  }
  // The overloads of dns.lookup do not accept the union LookupFunction is typed with.
  (dnsLookup as unknown as (h: string, o: unknown, cb: unknown) => void)(hostname, options, callback);
};

/** `CN=web.shop.local,O=Shop` from Node's certificate subject/issuer object. */
export function distinguishedName(dn: PeerCertificate["subject"] | undefined): string {
  if (!dn) return "";
  return Object.entries(dn)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : String(v)}`)
    .join(",");
}

/** ms since `start`, rounded to µs. */
export function since(start: number, now: number): number {
  return Math.max(0, Math.round((now - start) * 1000) / 1000);
}

export interface ProbeFrameOptions {
  out: ProbeOutcome;
  start: number;
  clock: () => number;
  timeoutMs: number;
  /** What the timeout error says. */
  timeoutMessage: string;
  signal?: AbortSignal;
  resolve: (out: ProbeOutcome) => void;
  /** Closes the probe's connection once the outcome is settled. */
  teardown: () => void;
  /** How the probe is ended by the timeout or the run's cancellation (its own error path, or `finish`). */
  fail: (err: Error) => void;
}

/**
 * The frame both probes run in: `finish(err?)` settles the outcome once (error classified,
 * duration stamped, connection torn down, promise resolved); the timeout and the run's abort
 * signal end the probe through `fail`. Call `watchSignal()` once the probe has started.
 */
export function probeFrame(o: ProbeFrameOptions): { finish: (err?: unknown) => void; watchSignal: () => void } {
  let settled = false;
  const onAbort = () => o.fail(probeError(TIMEOUT_CODE, "probe abandoned: the run was cancelled"));
  const timer = setTimeout(() => o.fail(probeError(TIMEOUT_CODE, o.timeoutMessage)), o.timeoutMs);
  const finish = (err?: unknown) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    o.signal?.removeEventListener("abort", onAbort);
    if (err !== undefined) o.out.error = classifyError(err);
    o.out.durationMs = since(o.start, o.clock());
    o.teardown();
    o.resolve(o.out);
  };
  const watchSignal = () => {
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener("abort", onAbort, { once: true });
  };
  return { finish, watchSignal };
}
