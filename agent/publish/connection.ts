import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { Backoff, type Logger } from "../../lib/index.js";
import type { Publisher } from "./publisher.js";

export interface NatsOptions {
  url: string;
  name: string;
  user?: string;
  pass?: string;
  token?: string;
}

export const BAD_CREDENTIALS = "NATS refused the agent's user and password: check nats.user and nats.passwordFile against the server's users (deploy/nats/nats.conf); retrying, messages wait in the spool";
export const NO_CREDENTIALS = "NATS requires a user and password: set nats.user and nats.passwordFile (the stack's agent user is `agent`); retrying, messages wait in the spool";

/** Whether NATS turned the connection down for its credentials (wrong, missing or expired). */
function refused(err: unknown): boolean {
  return err instanceof Error && (err.name === "AuthorizationError" || /authorization|authentication/i.test(err.message));
}

/**
 * Keeps a NATS connection for the publisher, forever: the first connection is awaited in the
 * background (sampling and spooling go on meanwhile), reconnects are unlimited.
 */
export class NatsLink {
  private nc: NatsConnection | undefined;
  private closing = false;
  connected = false;
  private readonly ready: Promise<void>;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly options: NatsOptions,
    private readonly publisher: Publisher,
    private readonly log: Logger,
  ) {
    this.ready = this.open();
  }

  private async open(): Promise<void> {
    const retry = new Backoff({ initialMs: 1000, maxMs: 30_000 });
    while (!this.closing) {
      let nc: NatsConnection;
      try {
        nc = await connect({
          servers: this.options.url,
          name: this.options.name,
          user: this.options.user,
          pass: this.options.pass,
          token: this.options.token,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1000,
          waitOnFirstConnect: true,
          pingInterval: 10_000,
          timeout: 5_000,
          // The client would otherwise make an Error (stack and all) ahead of every request, to give a
          // failure the caller's stack: ~0.14 ms per message. The publisher reports its own failures.
          noAsyncTraces: true,
        });
      } catch (err) {
        // A refused password ends connect() for good; the operator may be fixing the secret, so the
        // agent keeps trying (spooling meanwhile) rather than wait for a restart.
        const delay = retry.next();
        if (!this.closing && (retry.attempts === 1 || retry.attempts % 10 === 0)) {
          const fields = { err: (err as Error).message, server: this.options.url, user: this.options.user, retryInMs: Math.round(delay) };
          if (refused(err)) this.log.error(fields, this.options.user === undefined ? NO_CREDENTIALS : BAD_CREDENTIALS);
          else this.log.error(fields, "cannot connect to NATS; messages wait in the spool");
        }
        await this.pause(delay);
        continue;
      }
      if (this.closing) {
        await nc.close();
        return;
      }
      this.nc = nc;
      this.connected = true;
      this.log.info({ server: nc.getServer() }, "connected to NATS");
      this.publisher.attach(jetstream(nc));
      await this.watch(nc);
      // The client gave the connection up (credentials refused on a reconnect, say): start over.
      this.connected = false;
      this.publisher.attach(undefined);
      if (!this.closing) this.log.warn({ server: this.options.url }, "NATS connection closed; connecting again, messages wait in the spool");
      retry.reset();
    }
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        this.connected = false;
        this.log.warn({ server: s.server }, "disconnected from NATS; spooling");
      } else if (s.type === "reconnect") {
        this.connected = true;
        this.log.info({ server: s.server }, "reconnected to NATS");
        this.publisher.attach(jetstream(nc), true);
      }
    }
  }

  /** Waits `ms`, or less when the link is closed. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.connected = false;
    this.wakeUp?.();
    const nc = this.nc;
    if (nc) await nc.drain().catch(() => nc.close());
    // A connect() still waiting for a first server is given up when it resolves (see open()).
    void this.ready;
  }
}
