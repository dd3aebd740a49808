import { request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { distinguishedName, lookup, probeError, probeFrame, since, TLS_CODE, type ProbeOutcome } from "./probe.js";

export interface HttpProbeRequest {
  url: URL;
  /** Default GET. */
  method?: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Accept a certificate that does not verify (its facts are still reported). Default false. */
  insecure?: boolean;
  /** Extra trusted CA certificates (PEM). */
  ca?: string | Buffer;
  /** Longest body read; past it the body is cut. Default 1 MiB. */
  maxBodyBytes?: number;
  signal?: AbortSignal;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

/**
 * One HTTP(S) request on a fresh connection (so every run measures dns, connect and tls), bounded
 * by a timeout. Never rejects: every failure is an outcome with its error type.
 */
export function probeHttp(req: HttpProbeRequest, clock: () => number = () => performance.now()): Promise<ProbeOutcome> {
  const https = req.url.protocol === "https:";
  const start = clock();
  const out: ProbeOutcome = { connected: false, durationMs: 0, phases: {} };
  let lookedUp: number | undefined;
  let connectedAt: number | undefined;
  let secureAt: number | undefined;

  return new Promise<ProbeOutcome>((resolve) => {
    const options = {
      method: req.method ?? "GET",
      headers: { "user-agent": "vigie-agent", ...req.headers },
      agent: false as const,
      lookup,
      ...(https ? { rejectUnauthorized: false, ca: req.ca, servername: isIp(req.url.hostname) ? undefined : req.url.hostname } : {}),
    };
    const request: ClientRequest = (https ? httpsRequest : httpRequest)(req.url, options);
    const { finish, watchSignal } = probeFrame({
      out,
      start,
      clock,
      timeoutMs: req.timeoutMs,
      timeoutMessage: `no complete answer within ${req.timeoutMs} ms`,
      signal: req.signal,
      resolve,
      teardown: () => request.destroy(),
      // Through the request's own error path, so a half-read body is accounted for once.
      fail: (err) => request.destroy(err),
    });

    request.on("error", (err) => finish(err));
    request.on("socket", (socket: Socket) => {
      socket.once("lookup", () => {
        lookedUp = clock();
        out.phases.dns = since(start, lookedUp);
      });
      socket.once("connect", () => {
        connectedAt = clock();
        out.connected = true;
        out.ip = socket.remoteAddress;
        out.phases.connect = since(lookedUp ?? start, connectedAt);
      });
      if (https) socket.once("secureConnect", () => onSecure(socket as TLSSocket));
    });

    const onSecure = (socket: TLSSocket) => {
      secureAt = clock();
      out.phases.tls = since(connectedAt ?? start, secureAt);
      const cert = socket.getPeerCertificate();
      if (cert && cert.valid_to) {
        out.tls = { notAfter: new Date(cert.valid_to), issuer: distinguishedName(cert.issuer), subject: distinguishedName(cert.subject), authorized: socket.authorized };
      }
      if (!socket.authorized && !req.insecure) {
        const reason = socket.authorizationError instanceof Error ? socket.authorizationError.message : String(socket.authorizationError);
        request.destroy(probeError(TLS_CODE, `certificate not trusted: ${reason}`));
      }
    };

    request.on("response", (res: IncomingMessage) => {
      out.phases.firstByte = since(secureAt ?? connectedAt ?? start, clock());
      out.status = res.statusCode;
      const ct = res.headers["content-type"];
      if (ct) out.contentType = ct;
      const max = req.maxBodyBytes ?? DEFAULT_MAX_BODY;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        if (size + chunk.length > max) {
          chunks.push(chunk.subarray(0, max - size));
          size = max;
          out.bodyTruncated = true;
          out.body = Buffer.concat(chunks).toString("utf8");
          finish();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on("end", () => {
        out.body = Buffer.concat(chunks).toString("utf8");
        finish();
      });
      res.on("error", (err) => finish(err));
      res.on("aborted", () => finish(probeError("ECONNRESET", "connection closed before the body ended")));
    });
    watchSignal();
    request.end();
  });
}

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}
