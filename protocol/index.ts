/**
 * The contract between agents and the collector: subjects, envelopes (zod), decoding, and the
 * names on the wire, and the names the collector exposes them under. Imports nothing from the
 * rest of Vigie.
 */
export * from "./subjects.js";
export * from "./envelope.js";
export * from "./checks.js";
export * from "./decode.js";
export * from "./encoded.js";
export * from "./names.js";
export * from "./metrics-check.js";
export * from "./exposition.js";
