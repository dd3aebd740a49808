import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";

const CANDIDATES = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

export interface RunningNats {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts nats-server for `vigie up`: JetStream on, store under the data dir, listening on the
 * loopback address and port of the NATS URL only.
 */
export async function startNatsServer(natsUrl: string, dataDir: string, onExit: (code: number | null) => void): Promise<RunningNats> {
  const url = new URL(natsUrl.replace(/^nats:/, "http:"));
  const host = url.hostname || "127.0.0.1";
  const port = url.port || "4222";
  const bin = CANDIDATES.find((c) => existsSync(c)) ?? "nats-server";
  const storeDir = path.resolve(dataDir, "nats");
  mkdirSync(storeDir, { recursive: true });
  const child: ChildProcess = spawn(bin, ["-a", host, "-p", port, "-js", "-sd", storeDir, "-n", "vigie"], { stdio: ["ignore", "ignore", "pipe"] });

  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not become ready in 15 s:\n${log}`)), 15_000);
    child.stderr?.on("data", (b: Buffer) => {
      if (log.length < 64_000) log += b.toString();
      if (/Server is ready/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run nats-server (${err.message}); scripts/bootstrap.sh installs it`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      const busy = /address already in use/i.test(log) ? ` (port ${port} is already in use: stop what holds it or set VIGIE_NATS_URL)` : "";
      reject(new Error(`nats-server exited with code ${code}${busy}:\n${log.trim().split("\n").slice(-5).join("\n")}`));
    });
  });
  child.stderr?.resume();
  let stopping = false;
  child.once("exit", (code) => {
    if (!stopping) onExit(code);
  });
  return {
    url: `nats://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      }),
  };
}
