import { InvalidArgumentError } from "commander";

/** "60s", "5m", "1h" or plain seconds → seconds. */
export function parseDurationSeconds(value: string): number {
  const m = /^(\d{1,6})(s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError("expected a duration such as 60s, 5m or 1h");
  return Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1);
}

/** "1%", "0.5%" or "1" → percent. */
export function parsePercent(value: string): number {
  const m = /^(\d{1,3}(?:\.\d{1,3})?)%?$/.exec(value.trim());
  if (!m || Number(m[1]) > 100) throw new InvalidArgumentError("expected a percentage such as 1% or 0.5%");
  return Number(m[1]);
}

/** "500ms", "2s" or plain milliseconds → milliseconds. */
export function parseMilliseconds(value: string): number {
  const m = /^(\d{1,7})(ms|s)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError("expected a latency such as 500ms or 2s");
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}

/** "5,25,50,100" → [5, 25, 50, 100]. */
export function parseSteps(value: string): number[] {
  const steps = value.split(",").map((s) => s.trim().replace(/%$/, ""));
  if (steps.some((s) => !/^\d{1,3}$/.test(s)))
    throw new InvalidArgumentError("expected percentages such as 5,25,50,100");
  return steps.map(Number);
}

/** NAME=VALUE, collected when repeated. The server checks both halves against its allow-lists. */
export function collectPair(value: string, all: { name: string; value: string }[] = []) {
  const i = value.indexOf("=");
  if (i <= 0) throw new InvalidArgumentError("expected NAME=VALUE, e.g. X-Dept=finance");
  return [...all, { name: value.slice(0, i), value: value.slice(i + 1) }];
}

export const collect = (value: string, all: string[] = []) => [...all, value];

/** "512m", "1g", "1.5g", "256M" or plain MiB → MiB. */
export function parseMemoryMb(value: string): number {
  const m = /^(\d{1,7}(?:\.\d{1,3})?)\s*([mg])?i?b?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError("expected a memory size such as 512m or 1g");
  const mb = Number(m[1]) * (m[2]?.toLowerCase() === "g" ? 1024 : 1);
  if (!Number.isInteger(mb)) throw new InvalidArgumentError("memory must come to whole MiB, e.g. 1536m");
  return mb;
}

/** "0.5", "2" → cores. */
export function parseCpus(value: string): number {
  if (!/^\d{1,3}(\.\d{1,3})?$/.test(value.trim()))
    throw new InvalidArgumentError("expected cores such as 0.5 or 2");
  return Number(value);
}

/** KEY=VALUE → [KEY, VALUE]; the value may hold '=' and anything else, the server checks it. */
export function splitAssignment(text: string): [string, string] {
  const i = text.indexOf("=");
  if (i <= 0)
    throw new InvalidArgumentError(
      `expected KEY=VALUE, got '${text.length > 40 ? `${text.slice(0, 40)}...` : text}'`,
    );
  return [text.slice(0, i), text.slice(i + 1)];
}

/**
 * "30d", "12h", "90m" → seconds; "never" stays the word (commander turns a parsed null into ""),
 * and ttlOf() makes it null for the API: a token that does not expire.
 */
export function parseTtlSeconds(value: string): number | "never" {
  if (value.trim() === "never") return "never";
  const m = /^(\d{1,5})(m|h|d)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError("expected a lifetime such as 90m, 12h, 30d or never");
  return Number(m[1]) * (m[2] === "d" ? 86_400 : m[2] === "h" ? 3600 : 60);
}

export const ttlOf = (v: number | "never" | undefined): number | null | undefined =>
  v === "never" ? null : v;
