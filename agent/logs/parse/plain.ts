import { severityOfWord, SYSLOG_SEVERITY, type Severity } from "../severity.js";
import type { Parsed } from "./parsed.js";

/** Syslog's `<PRI>` prefix (RFC 3164/5424): facility × 8 + severity. */
const SYSLOG_PRI = /^<(\d{1,3})>/;
/** An upper-case level word standing alone near the start: `2026-12-02 10:00:01 ERROR [main] …`, `WARN: …`. */
const UPPER_LEVEL = /(?:^|[\s[(|])(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|CRIT|CRITICAL|ALERT|FATAL|PANIC|EMERG|EMERGENCY|FINE|FINER|FINEST|CONFIG|VERBOSE|DPANIC)(?=[\s\]):|,-]|$)/;
/** A bracketed level in any case: nginx's `[error]`, `[Warning]`. */
const BRACKETED_LEVEL = /\[(trace|debug|info|notice|warn|warning|error|err|crit|critical|alert|emerg|fatal|panic)\]/i;
/** A leading level word with a colon in any case: `Error: …`, `warning: …`, Python's `ERROR:root:…`. */
const LEADING_LEVEL = /^(trace|debug|info|notice|warn|warning|error|err|critical|crit|fatal|panic)(?=:)/i;
/** klog / glog: `E1202 15:45:31.123456   1 file.go:12] …`. */
const KLOG = /^([IWEF])\d{4} \d\d:\d\d:\d\d/;
const KLOG_SEVERITY: Record<string, number> = { I: 9, W: 13, E: 17, F: 21 };
/** Lines that say an error happened without a level (the data model's "known erroneous → 17"). */
const ERRONEOUS = /^(?:Traceback \(most recent call last\):|Exception in thread |(?:[\w$]+\.)*[\w$]*(?:Error|Exception): |Uncaught )/;
const GO_PANIC = /^(?:panic: |fatal error: )/;

/** Only the start of a line is searched for a level: a level word in the message text is not one. */
const SEARCH_PREFIX = 160;

/** The severity a plain line states, by the conventions above, or undefined. */
export function detectSeverity(line: string): Severity | undefined {
  const head = line.length > SEARCH_PREFIX ? line.slice(0, SEARCH_PREFIX) : line;
  const leading = LEADING_LEVEL.exec(head);
  if (leading?.[1]) return severityOfWord(leading[1]);
  const bracketed = BRACKETED_LEVEL.exec(head);
  if (bracketed?.[1]) return severityOfWord(bracketed[1]);
  const upper = UPPER_LEVEL.exec(head);
  if (upper?.[1]) return severityOfWord(upper[1]);
  const klog = KLOG.exec(head);
  if (klog?.[1]) return { number: KLOG_SEVERITY[klog[1]] ?? 9, text: klog[1] };
  if (GO_PANIC.test(head)) return { number: 19, text: "panic" };
  if (ERRONEOUS.test(head)) return { number: 17, text: "" };
  return undefined;
}

/**
 * A plain line: the severity it states (leading or bracketed level, syslog priority, klog
 * letter, an exception's first line), the line as body. The `<PRI>` prefix is taken off the
 * body and its facility kept as an attribute.
 */
export function parsePlainLine(line: string): Parsed {
  const pri = SYSLOG_PRI.exec(line);
  if (pri?.[1]) {
    const value = Number(pri[1]);
    if (value <= 191) {
      const body = line.slice(pri[0].length);
      const number = SYSLOG_SEVERITY[value % 8] ?? 0;
      return { body, format: "plain", severity: detectSeverity(body) ?? { number, text: pri[0] }, attributes: { "syslog.facility": Math.floor(value / 8), "syslog.severity": value % 8 } };
    }
  }
  const severity = detectSeverity(line);
  return severity ? { body: line, format: "plain", severity } : { body: line, format: "plain" };
}
