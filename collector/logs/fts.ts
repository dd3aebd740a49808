/** Most terms a search may have; more are an error, not silently dropped. */
export const MAX_TERMS = 16;
/** Longest term, in characters. */
export const MAX_TERM_LENGTH = 128;

export type FtsQuery = { ok: true; match: string } | { ok: false; reason: string };

/**
 * Turns what a person typed into an FTS5 query that cannot be a syntax error: every term is a
 * quoted string (FTS5's own quoting, `"` doubled), so `AND`, `NEAR`, `:`, `(`, `*` and `-` are
 * text to find, not operators. Terms are AND-ed. `"two words"` stays a phrase, and a trailing `*`
 * outside quotes asks for a prefix (`timeout*`). Control characters are spaces.
 */
export function ftsQuery(text: string): FtsQuery {
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\u0000-\u001f\u007f]/g, " ");
  const terms: string[] = [];
  const re = /"([^"]*)"?|(\S+)/g;
  for (let m = re.exec(cleaned); m; m = re.exec(cleaned)) {
    let term = m[1] ?? m[2] ?? "";
    let prefix = false;
    if (m[2] !== undefined && term.length > 1 && term.endsWith("*")) {
      term = term.replace(/\*+$/, "");
      prefix = true;
    }
    // A term of punctuation only has no token: FTS5 would match nothing with it, so it asks nothing.
    if (!/[\p{L}\p{N}]/u.test(term)) continue;
    if (term.length > MAX_TERM_LENGTH) return { ok: false, reason: `a search term is longer than ${MAX_TERM_LENGTH} characters` };
    terms.push(`"${term.replaceAll('"', '""')}"${prefix ? "*" : ""}`);
  }
  if (terms.length === 0) return { ok: false, reason: "the search has no word to look for" };
  if (terms.length > MAX_TERMS) return { ok: false, reason: `a search has at most ${MAX_TERMS} terms` };
  return { ok: true, match: terms.join(" ") };
}
