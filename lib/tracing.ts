import { context, propagation, trace, SpanStatusCode, type Context, type Span } from "@opentelemetry/api";

/**
 * Tracing of Vigie's own pipeline (sample → publish → ingest → store). Only
 * `@opentelemetry/api` (a few kB, no-op by default) is loaded up front; the SDK and its OTLP
 * exporter (~40 MB of RSS, half a second to import) are imported only when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set.
 */
export interface Tracing {
  enabled: boolean;
  shutdown(): Promise<void>;
}

export async function startTracing(serviceName: string, version: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return { enabled: false, shutdown: async () => undefined };
  const [{ NodeSDK }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
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
  return { enabled: true, shutdown: () => sdk.shutdown() };
}

export function tracer() {
  return trace.getTracer("vigie");
}

/** Runs `fn` in a span (child of `parent` or of the active context); ends it, records a throw. */
export async function inSpan<T>(name: string, attributes: Record<string, string | number | boolean>, fn: (span: Span) => Promise<T>, parent?: Context): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, parent ?? context.active(), async (span) => {
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
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? "";
}

/** A context continuing the trace of a `traceparent` value (from a NATS header or the spool). */
export function contextFrom(traceparent: string | undefined): Context {
  if (!traceparent) return context.active();
  return propagation.extract(context.active(), { traceparent });
}
