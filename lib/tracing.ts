import type { Context, Span } from "@opentelemetry/api";

/**
 * Tracing of Vigie's own pipeline (sample → publish → ingest → store). Nothing of OpenTelemetry
 * is loaded unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is
 * set: then the API, the SDK and its OTLP exporter (~40 MB of RSS, half a second to import).
 * Without them the helpers below cost a function call (the API alone, even as a no-op, adds
 * ~1.4 MB of RSS and a context lookup per span to an agent that samples every second).
 */
export interface Tracing {
  enabled: boolean;
  shutdown(): Promise<void>;
}

export async function startTracing(serviceName: string, version: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return { enabled: false, shutdown: async () => undefined };
  const [otel, { NodeSDK }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME ?? serviceName, "service.version": version }),
    traceExporter: new OTLPTraceExporter({
      url: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "").replace(/\/$/, "")}/v1/traces`,
    }),
    instrumentations: [],
    autoDetectResources: false,
  });
  sdk.start();
  api = otel;
  return {
    enabled: true,
    shutdown: async () => {
      await sdk.shutdown();
      api = undefined;
    },
  };
}

/** The OpenTelemetry API once tracing is on. */
let api: typeof import("@opentelemetry/api") | undefined;

/** What `inSpan` hands its function when not tracing. */
const NO_SPAN: Span = {
  spanContext: () => ({ traceId: "00000000000000000000000000000000", spanId: "0000000000000000", traceFlags: 0 }),
  setAttribute: () => NO_SPAN,
  setAttributes: () => NO_SPAN,
  addEvent: () => NO_SPAN,
  addLink: () => NO_SPAN,
  addLinks: () => NO_SPAN,
  setStatus: () => NO_SPAN,
  updateName: () => NO_SPAN,
  end: () => undefined,
  isRecording: () => false,
  recordException: () => undefined,
};

/** Runs `fn` in a span (child of `parent` or of the active context); ends it, records a throw. */
export async function inSpan<T>(name: string, attributes: Record<string, string | number | boolean>, fn: (span: Span) => Promise<T>, parent?: Context): Promise<T> {
  if (!api) return fn(NO_SPAN);
  const { context, SpanStatusCode, trace } = api;
  return trace.getTracer("vigie").startActiveSpan(name, { attributes }, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The active trace context as a W3C `traceparent` value, or "" when not tracing. */
export function currentTraceparent(): string {
  if (!api) return "";
  const carrier: Record<string, string> = {};
  api.propagation.inject(api.context.active(), carrier);
  return carrier.traceparent ?? "";
}

/** A context continuing the trace of a `traceparent` value (from a NATS header or the spool). */
export function contextFrom(traceparent: string | undefined): Context | undefined {
  if (!api) return undefined;
  if (!traceparent) return api.context.active();
  return api.propagation.extract(api.context.active(), { traceparent });
}
