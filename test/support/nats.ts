import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  /** Kills the server (SIGKILL when `hard`), keeping its store. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port with the same store. */
  restart(): Promise<void>;
  /** Stops it and removes its store. */
  dispose(): Promise<void>;
}

const BINARIES = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "nats-server"];

/**
 * Launches a real nats-server with JetStream on a free loopback port (the server picks it:
 * `-p -1`), and reads the port from its log. Fails loudly if the binary is missing.
 */
export async function startNats(options: { port?: number; storeDir?: string; /** A configuration file (`-c`); the command line's port, address and store still apply. */ config?: string; env?: Record<string, string> } = {}): Promise<NatsServer> {
  const storeDir = options.storeDir ?? mkdtempSync(path.join(tmpdir(), "vigie-nats-"));
  let port = options.port ?? -1;
  let child: ChildProcess | undefined;

  const launch = async () => {
    const bin = BINARIES.find((b) => !b.startsWith("/") || existsSync(b)) ?? "nats-server";
    const config = options.config ? ["-c", options.config] : [];
    const proc = spawn(bin, [...config, "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
    child = proc;
    port = await new Promise<number>((resolve, reject) => {
      let log = "";
      const timer = setTimeout(() => reject(new Error(`nats-server did not start within 15 s:\n${log}`)), 15_000);
      const onData = (b: Buffer) => {
        log += b.toString();
        const m = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(log);
        if (m && /Server is ready/.test(log)) {
          clearTimeout(timer);
          proc.stderr?.off("data", onData);
          proc.stderr?.resume();
          resolve(Number(m[1]));
        }
      };
      proc.stderr?.on("data", onData);
      proc.stdout?.resume();
      proc.once("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run nats-server (run scripts/bootstrap.sh): ${err.message}`));
      });
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code}:\n${log}`));
      });
    });
  };

  const stop = async (hard = false) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill(hard ? "SIGKILL" : "SIGTERM");
    });
    child = undefined;
  };

  await launch();
  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    storeDir,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    dispose: async () => {
      await stop(true);
      if (!options.storeDir) rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
