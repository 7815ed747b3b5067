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
