import { connect } from "node:net";
import { lookup, probeFrame, since, type ProbeOutcome } from "./probe.js";

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
    const socket = connect({ host: req.host.replace(/^\[|\]$/g, ""), port: req.port, lookup });
    const { finish, watchSignal } = probeFrame({
      out,
      start,
      clock,
      timeoutMs: req.timeoutMs,
      timeoutMessage: `no connection within ${req.timeoutMs} ms`,
      signal: req.signal,
      resolve,
      teardown: () => socket.destroy(),
      fail: (err) => finish(err),
    });
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
    watchSignal();
  });
}
