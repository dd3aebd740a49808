import { connect } from "node:net";
import { classifyError, lookup, probeError, since, TIMEOUT_CODE, type ProbeOutcome } from "./probe.js";

export interface TcpProbeRequest {
  host: string;
  port: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Opens a TCP connection and closes it: `connected` and the dns/connect phases. Never rejects. */
export function probeTcp(req: TcpProbeRequest, clock: () => number = () => performance.now()): Promise<ProbeOutcome> {
  const start = clock();
  const out: ProbeOutcome = { connected: false, durationMs: 0, phases: {} };
  let lookedUp: number | undefined;
  return new Promise<ProbeOutcome>((resolve) => {
    let settled = false;
    const socket = connect({ host: req.host.replace(/^\[|\]$/g, ""), port: req.port, lookup });
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
      if (err !== undefined) out.error = classifyError(err);
      out.durationMs = since(start, clock());
      socket.destroy();
      resolve(out);
    };
    const onAbort = () => finish(probeError(TIMEOUT_CODE, "probe abandoned: the run was cancelled"));
    const timer = setTimeout(() => finish(probeError(TIMEOUT_CODE, `no connection within ${req.timeoutMs} ms`)), req.timeoutMs);
    socket.once("lookup", () => {
      lookedUp = clock();
      out.phases.dns = since(start, lookedUp);
    });
    socket.once("connect", () => {
      out.connected = true;
      out.ip = socket.remoteAddress;
      out.phases.connect = since(lookedUp ?? start, clock());
      finish();
    });
    socket.once("error", (err) => finish(err));
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener("abort", onAbort, { once: true });
  });
}
