/**
 * Docker Compose's variable interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}`, `${VAR:+replacement}` and `${VAR+replacement}`, with nesting in
 * the default (`${A:-${B}}`). A `$` followed by anything else is an error, as it is for compose.
 */

export type Lookup = (name: string) => string | undefined;

export interface Interpolated {
  value: string;
  /** Why the text does not interpolate: a required variable not set, or a malformed `$`. */
  problems: string[];
  /** Variables used without a default that are not set; each became "" (compose warns about them). */
  unset: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const OPERATOR = /^(:-|-|:\?|\?|:\+|\+)/;

export function interpolate(text: string, lookup: Lookup): Interpolated {
  const result: Interpolated = { value: "", problems: [], unset: [] };
  result.value = expand(text, lookup, result);
  return result;
}

function expand(text: string, lookup: Lookup, acc: Interpolated): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar < 0) return out + text.slice(i);
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === "$") {
      out += "$";
      i = dollar + 2;
    } else if (next === "{") {
      const end = closingBrace(text, dollar + 2);
      if (end < 0) {
        acc.problems.push(`unterminated "\${" in "${text}"`);
        return out + text.slice(dollar);
      }
      out += braced(text.slice(dollar + 2, end), lookup, acc);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(dollar + 1))?.[0];
      if (name) {
        out += plain(name, lookup, acc);
        i = dollar + 1 + name.length;
      } else {
        acc.problems.push(`invalid "$" in "${text}": write "$$" for a literal "$"`);
        out += "$";
        i = dollar + 1;
      }
    }
  }
  return out;
}

/** The index of the `}` closing a `${` whose body starts at `from`, or -1. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === "$" && (text[j + 1] === "$" || text[j + 1] === "{")) {
      if (text[j + 1] === "{") depth++;
      j++;
    } else if (text[j] === "}" && --depth === 0) {
      return j;
    }
  }
  return -1;
}

function plain(name: string, lookup: Lookup, acc: Interpolated): string {
  const value = lookup(name);
  if (value === undefined && !acc.unset.includes(name)) acc.unset.push(name);
  return value ?? "";
}

function braced(body: string, lookup: Lookup, acc: Interpolated): string {
  const name = NAME.exec(body)?.[0];
  const rest = name ? body.slice(name.length) : body;
  const op = OPERATOR.exec(rest)?.[0];
  if (!name || (rest !== "" && !op)) {
    acc.problems.push(`invalid interpolation "\${${body}}"`);
    return "";
  }
  if (!op) return plain(name, lookup, acc);
  const arg = rest.slice(op.length);
  const value = lookup(name);
  const isSet = value !== undefined && (!op.startsWith(":") || value !== "");
  if (op.endsWith("-")) return isSet ? (value ?? "") : expand(arg, lookup, acc);
  if (op.endsWith("+")) return isSet ? expand(arg, lookup, acc) : "";
  if (!isSet) {
    const message = expand(arg, lookup, acc);
    acc.problems.push(`required variable ${name} is missing a value${message ? `: ${message}` : ""}`);
  }
  return value ?? "";
}

/**
 * Interpolates every string scalar of a parsed YAML value (never the keys, as compose does).
 * `problem` gets the dotted path of the scalar, e.g. `services.web.environment.URL`.
 */
export function interpolateTree(
  value: unknown,
  lookup: Lookup,
  problem: (path: string, message: string) => void,
  unset: (name: string) => void,
  path = "",
): unknown {
  if (typeof value === "string") {
    const result = interpolate(value, lookup);
    for (const message of result.problems) problem(path, message);
    for (const name of result.unset) unset(name);
    // Keeping the text as written spares the caller a second, confusing problem about the same value.
    return result.problems.length > 0 ? value : result.value;
  }
  if (Array.isArray(value))
    return value.map((item, i) => interpolateTree(item, lookup, problem, unset, `${path}[${i}]`));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = interpolateTree(item, lookup, problem, unset, path ? `${path}.${key}` : key);
    return out;
  }
  return value;
}
