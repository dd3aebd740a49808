import { pino } from "pino";
/** A logger that says nothing unless VIGIE_TEST_LOG is set (then it logs at that level). */
export const testLog = pino({ level: process.env.VIGIE_TEST_LOG ?? "silent" });
