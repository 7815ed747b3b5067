import { interpolate, type Lookup } from "./interpolate.js";

/**
 * A compose `env_file`, read the way `docker compose` reads it: `KEY=VALUE` lines, `#` comments and
 * blank lines, an optional `export ` prefix, 'single-quoted' values taken literally, "double-quoted"
 * values with \n \r \t \" \\ \$ escapes (both may span lines), and a ` #` comment after an unquoted
 * value. Unquoted and double-quoted values interpolate `${VAR}` like the compose file, from the
 * environment first and then from the keys set above them in the same file. A bare `KEY` line takes
 * KEY's value from the environment, and is left out when it is not set there.
 */
export interface ParsedEnvFile {
  values: Map<string, string>;
  /** Bare `KEY` lines whose variable is not set. */
  missing: string[];
  /** Variables interpolated as "" because they are not set. */
  unset: string[];
  /** "line 3: ..." */
  problems: string[];
}

const ASSIGNMENT = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:(=)\s*(.*))?$/s;
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\", $: "$$" };

export function parseEnvFile(text: string, lookup: Lookup = () => undefined): ParsedEnvFile {
  const parsed: ParsedEnvFile = { values: new Map(), missing: [], unset: [], problems: [] };
  const lookupHere: Lookup = (name) => lookup(name) ?? parsed.values.get(name);
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    const line = (lines[n] ?? "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = ASSIGNMENT.exec(line);
    const key = m?.[1];
    if (!m || !key) {
      parsed.problems.push(`line ${lineNo}: expected KEY=VALUE`);
      continue;
    }
    if (!m[2]) {
      const value = lookup(key);
      if (value === undefined) parsed.missing.push(key);
      else parsed.values.set(key, value);
      continue;
    }
    let rest = m[3] ?? "";
    const quote = rest[0];
    if (quote !== '"' && quote !== "'") {
      const value = rest.replace(/\s+#.*$/, "").trim();
      parsed.values.set(key, expand(value, lookupHere, parsed, lineNo));
      continue;
    }
    let close = closingQuote(rest, quote);
    while (close < 0 && n + 1 < lines.length) {
      n++;
      rest += `\n${lines[n] ?? ""}`;
      close = closingQuote(rest, quote);
    }
    if (close < 0) {
      parsed.problems.push(`line ${lineNo}: the ${quote} quote is never closed`);
      break;
    }
    const after = rest.slice(close + 1).trim();
    if (after !== "" && !after.startsWith("#"))
      parsed.problems.push(`line ${lineNo}: unexpected text after the closing quote: ${after}`);
    const body = rest.slice(1, close);
    if (quote === "'") parsed.values.set(key, body);
    else {
      const unescaped = body.replace(/\\(.)/gs, (all, c: string) => ESCAPES[c] ?? all);
      parsed.values.set(key, expand(unescaped, lookupHere, parsed, lineNo));
    }
  }
  return parsed;
}

function closingQuote(text: string, quote: string): number {
  for (let i = 1; i < text.length; i++) {
    if (quote === '"' && text[i] === "\\") i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

function expand(value: string, lookup: Lookup, parsed: ParsedEnvFile, lineNo: number): string {
  const result = interpolate(value, lookup);
  for (const problem of result.problems) parsed.problems.push(`line ${lineNo}: ${problem}`);
  for (const name of result.unset) if (!parsed.unset.includes(name)) parsed.unset.push(name);
  return result.value;
}
