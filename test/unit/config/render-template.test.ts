import { describe, expect, it } from "vitest";
import {
  type Resolved,
  referencesOf,
  renderTemplate,
  resolveConfig,
  TEMPLATE_LIMITS,
} from "../../../src/config/render-template.js";
import { DomainError } from "../../../src/domain/domain-error.js";

const FACTS: Record<string, string> = {
  BERTH_MEMORY_MB: "1024",
  BERTH_CPUS: "0.5",
  BERTH_ENV: "production",
  BERTH_APP: "shop",
  BERTH_RELEASE: "42",
};

function resolve(values: Record<string, string>, secrets: string[] = [], facts = FACTS): Resolved {
  return resolveConfig({ values, secrets: new Set(secrets), facts });
}

/** Resolves `template` as key V (alongside `others`) and returns V's value. */
function value(template: string, others: Record<string, string> = {}): string | undefined {
  return resolve({ ...others, V: template }).values.V;
}

function failure(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
}

function resolveError(values: Record<string, string>, secrets: string[] = [], facts = FACTS): DomainError {
  return failure(() => resolve(values, secrets, facts));
}

function errorOf(template: string, others: Record<string, string> = {}): DomainError {
  return resolveError({ ...others, V: template });
}

function timed<T>(fn: () => T): { result: T; ms: number } {
  const started = performance.now();
  const result = fn();
  return { result, ms: performance.now() - started };
}

describe("the JAVA_OPTS example", () => {
  it("sizes the heap from the memory fact", () => {
    const resolved = resolve({ JAVA_OPTS: "-Xms${BERTH_MEMORY_MB / 2}m -Xmx${BERTH_MEMORY_MB * 3 / 4}m" });
    expect(resolved.values).toEqual({ JAVA_OPTS: "-Xms512m -Xmx768m" });
    expect(resolved.secret).toEqual(new Set());
  });
});

describe("literal text", () => {
  it("passes text without placeholders through unchanged", () => {
    expect(value("hello world")).toBe("hello world");
    expect(value("")).toBe("");
    expect(value("multi\nline\ttext ünïcødé 🚀")).toBe("multi\nline\ttext ünïcødé 🚀");
  });

  it("treats braces outside ${...} as text", () => {
    expect(value("a}b{c}{")).toBe("a}b{c}{");
  });

  it("turns $$ into a literal $", () => {
    expect(value("$$")).toBe("$");
    expect(value("$${X}")).toBe("${X}");
    expect(value("a$$$$b")).toBe("a$$b");
    expect(value("cost $$5")).toBe("cost $5");
    expect(value("$$${BERTH_APP}")).toBe("$shop");
  });

  it("keeps a lone $ that is not followed by { or $", () => {
    expect(value("cost: $5")).toBe("cost: $5");
    expect(value("ends with $")).toBe("ends with $");
    expect(value("$ {X}")).toBe("$ {X}");
    expect(value("$(X) $X")).toBe("$(X) $X");
    expect(value("$")).toBe("$");
  });
});

describe("references", () => {
  it("substitutes facts", () => {
    expect(value("${BERTH_APP}-${BERTH_ENV}#${BERTH_RELEASE}")).toBe("shop-production#42");
  });

  it("resolves chains of keys whatever order they are declared in", () => {
    const resolved = resolve({ A: "${B}-a", B: "${C}-b", C: "c", D: "${A}|${C}" });
    expect(resolved.values).toEqual({ A: "c-b-a", B: "c-b", C: "c", D: "c-b-a|c" });
  });

  it("keeps a referenced value's text exactly, even when it looks like a number", () => {
    expect(value("${X}", { X: "007" })).toBe("007");
    expect(value("${X}", { X: "1.50" })).toBe("1.50");
    expect(value("${X}", { X: "99999999999999999999" })).toBe("99999999999999999999");
    expect(value("${X}", { X: "  spaced  " })).toBe("  spaced  ");
  });

  it("does not re-evaluate a value's resolved text as a template", () => {
    expect(value("${X}", { X: "$${Y}" })).toBe("${Y}");
  });

  it("looks keys up before facts", () => {
    expect(value("${BERTH_APP}", { BERTH_APP: "mine" })).toBe("mine");
  });

  it("allows whitespace inside expressions", () => {
    expect(value("${ BERTH_MEMORY_MB\t/\n2 }")).toBe("512");
  });
});

describe("defaults ${NAME:-fallback}", () => {
  it("uses the fallback when the name is undefined", () => {
    expect(value("${MISSING:-fallback}")).toBe("fallback");
    expect(value("x${MISSING:-}y")).toBe("xy");
  });

  it("uses the fallback when the value is empty, directly or after resolution", () => {
    expect(value("${E:-empty}", { E: "" })).toBe("empty");
    expect(value("${E:-empty}", { E: "${MISSING:-}" })).toBe("empty");
  });

  it("uses the value when it is set, for keys and facts", () => {
    expect(value("${D:-fallback}", { D: "set" })).toBe("set");
    expect(value("${BERTH_ENV:-dev}")).toBe("production");
    expect(value("${D:- }", { D: "0" })).toBe("0");
  });

  it("treats the fallback as a template", () => {
    expect(value("${MISSING:-${BERTH_MEMORY_MB / 4}m}")).toBe("256m");
    expect(value("${A:-${B:-deep}}")).toBe("deep");
    expect(value("${A:-x${B:-y${C:-z}y}x}")).toBe("xyzyx");
    expect(value("${MISSING:-$${X}}")).toBe("${X}");
    expect(value("${MISSING:-$5}")).toBe("$5");
    expect(value("${MISSING:-a b  c}")).toBe("a b  c");
  });

  it("ends the fallback at the first } not closing a nested ${", () => {
    expect(value("${MISSING:-a}b}")).toBe("ab}");
    expect(value("${MISSING:-{x}}")).toBe("{x}");
    expect(value("${MISSING:-${'}'}}")).toBe("}");
    expect(value("${MISSING:-${BERTH_APP}}!")).toBe("shop!");
  });

  it("does not evaluate a fallback that is not taken", () => {
    expect(value("${D:-${NOPE}}", { D: "set" })).toBe("set");
    expect(value("${D:-${1 / 0}}", { D: "set" })).toBe("set");
  });

  it("reports errors in a fallback that is taken", () => {
    expect(errorOf("${MISSING:-${NOPE}}").message).toBe(
      "V refers to NOPE, which is not set in any layer and is not a platform fact",
    );
  });

  it("still resolves a defined name, so its errors surface", () => {
    expect(errorOf("${D:-x}", { D: "${1 / 0}" }).message).toBe("D: division by zero");
  });

  it("requires NAME:- with no spaces; anything else is an expression", () => {
    expect(errorOf("${ MISSING:-x}").message).toBe("V: unexpected character ':' at position 11 in ${...}");
    expect(errorOf("${MISSING:x}").message).toBe("V: unexpected character ':' at position 10 in ${...}");
  });
});

describe("arithmetic", () => {
  it("follows the usual precedence, left to right", () => {
    expect(value("${2 + 3 * 4}")).toBe("14");
    expect(value("${(2 + 3) * 4}")).toBe("20");
    expect(value("${10 - 4 - 3}")).toBe("3");
    expect(value("${100 / 10 / 5}")).toBe("2");
    expect(value("${2 * 3 % 4}")).toBe("2");
    expect(value("${2 + 3 % 2}")).toBe("3");
    expect(value("${((((1))))}")).toBe("1");
    expect(value("${1 - (2 - 3)}")).toBe("2");
  });

  it("supports unary minus", () => {
    expect(value("${-2 * 3}")).toBe("-6");
    expect(value("${- -3}")).toBe("3");
    expect(value("${-(2 + 3)}")).toBe("-5");
    expect(value("${10 - -3}")).toBe("13");
    expect(value("${-X}", { X: "-4" })).toBe("4");
    expect(value("${-0}")).toBe("0");
  });

  it("truncates division of integers toward zero", () => {
    expect(value("${1024 * 3 / 4}")).toBe("768");
    expect(value("${1023 / 2}")).toBe("511");
    expect(value("${-7 / 2}")).toBe("-3");
    expect(value("${7 / -2}")).toBe("-3");
    expect(value("${1 / 3}")).toBe("0");
    expect(value("${9007199254740991 / 2}")).toBe("4503599627370495");
  });

  it("divides for real when an operand is not an integer", () => {
    expect(value("${0.5 / 2}")).toBe("0.25");
    expect(value("${1.5 / 3}")).toBe("0.5");
    expect(value("${BERTH_MEMORY_MB * BERTH_CPUS}")).toBe("512");
    expect(value("${BERTH_CPUS * 2}")).toBe("1");
    expect(value("${X / 3}", { X: "1.5" })).toBe("0.5");
  });

  it("decides integer division by value, so 3.0 and 0.5 + 0.5 count as integers", () => {
    expect(value("${7 / 2.0}")).toBe("3");
    expect(value("${(0.5 + 0.5) / 2}")).toBe("0");
    expect(value("${X / 2}", { X: "7.0" })).toBe("3");
  });

  it("computes % with the sign of the dividend", () => {
    expect(value("${10 % 3}")).toBe("1");
    expect(value("${-7 % 3}")).toBe("-1");
    expect(value("${7 % -3}")).toBe("1");
    expect(value("${5.5 % 2}")).toBe("1.5");
    expect(value("${-4 % 2}")).toBe("0");
  });

  it("formats numbers: integers bare, others with at most 6 decimals", () => {
    expect(value("${0.1 + 0.2}")).toBe("0.3");
    expect(value("${2.50}")).toBe("2.5");
    expect(value("${1.0}")).toBe("1");
    expect(value("${007}")).toBe("7");
    expect(value("${0.0000001}")).toBe("0");
    expect(value("${-0.0000001}")).toBe("0");
    expect(value("${2.5 / 3}")).toBe("0.833333");
    expect(value("${0.75 * 4}")).toBe("3");
    expect(value("${1.0000004}")).toBe("1");
    expect(value("${-1.25}")).toBe("-1.25");
  });

  it("treats numeric-looking text from keys, facts and strings as numbers", () => {
    expect(value("${X + 1}", { X: "41" })).toBe("42");
    expect(value("${X * 2}", { X: "-1.5" })).toBe("-3");
    expect(value("${'1' + 2}")).toBe("3");
    expect(value("${BERTH_RELEASE + 1}")).toBe("43");
  });
});

describe("strings and concatenation", () => {
  it("concatenates with + when either side is not a number", () => {
    expect(value("${'a' + 'b'}")).toBe("ab");
    expect(value('${BERTH_APP + "-" + BERTH_ENV}')).toBe("shop-production");
    expect(value("${'x' + 1 + 2}")).toBe("x12");
    expect(value("${1 + 2 + 'x'}")).toBe("3x");
    expect(value("${'' + 5}")).toBe("5");
    expect(value("${0.5 + 'x'}")).toBe("0.5x");
    expect(value("${0.5 / 3 + 'x'}")).toBe("0.166667x");
  });

  it("supports both quotes and the allowed escapes", () => {
    expect(value(`\${"double"}`)).toBe("double");
    expect(value("${'single'}")).toBe("single");
    expect(value("${'it\\'s'}")).toBe("it's");
    expect(value(`\${"say \\"hi\\""}`)).toBe('say "hi"');
    expect(value(`\${'say "hi"'}`)).toBe('say "hi"');
    expect(value(`\${"a\\tb\\nc\\\\d"}`)).toBe("a\tb\nc\\d");
    expect(value("${''}")).toBe("");
  });

  it("never interpolates inside string literals", () => {
    expect(value("${'${BERTH_APP}'}")).toBe("${BERTH_APP}");
    expect(value('${"}"}')).toBe("}");
    expect(value("${'$$'}")).toBe("$$");
    expect(value("${'${' + BERTH_APP + '}'}")).toBe("${shop}");
  });
});

describe("functions", () => {
  it("computes min, max, floor, ceil and round", () => {
    expect(value("${min(3, 1, 2)}")).toBe("1");
    expect(value("${max(1, BERTH_MEMORY_MB / 2, 100)}")).toBe("512");
    expect(value("${min(5)}")).toBe("5");
    expect(value("${floor(2.7)}")).toBe("2");
    expect(value("${floor(-2.5)}")).toBe("-3");
    expect(value("${ceil(2.1)}")).toBe("3");
    expect(value("${ceil(-2.5)}")).toBe("-2");
    expect(value("${round(2.5)}")).toBe("3");
    expect(value("${round(2.4)}")).toBe("2");
    expect(value("${round(-2.5)}")).toBe("-2");
    expect(value("${min (1, 2)}")).toBe("1");
  });

  it("nests and combines with arithmetic", () => {
    expect(value("-Xmx${max(256, floor(BERTH_MEMORY_MB * 0.75))}m")).toBe("-Xmx768m");
    expect(value("${ceil(BERTH_CPUS * 3) + min(max(1, 2), 3) * 2}")).toBe("6");
    expect(value("${round(BERTH_MEMORY_MB / 3.0)}")).toBe("341");
  });

  it("treats function names without parentheses as ordinary references", () => {
    expect(value("${min}", { min: "low" })).toBe("low");
  });
});

describe("errors", () => {
  it("uses code invalid and names the key in field", () => {
    const error = resolveError({ JAVA_OPTS: "-Xmx${MEMORY}m" });
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe("invalid");
    expect(error.field).toBe("JAVA_OPTS");
    expect(error.message).toBe(
      "JAVA_OPTS refers to MEMORY, which is not set in any layer and is not a platform fact",
    );
  });

  it("names the key whose template is at fault, not the one that referred to it", () => {
    const error = resolveError({ A: "${B}", B: "${NOPE}" });
    expect(error.field).toBe("B");
    expect(error.message).toBe("B refers to NOPE, which is not set in any layer and is not a platform fact");
  });

  it("validates every key, referenced or not", () => {
    expect(resolveError({ A: "fine", B: "${(}" }).field).toBe("B");
  });

  it("reports cycles with their path", () => {
    expect(resolveError({ A: "${A}" }).message).toBe("A refers to itself through A → A");
    expect(resolveError({ A: "x${B}", B: "${A}y" }).message).toBe("A refers to itself through A → B → A");
    const three = resolveError({ A: "${B}", B: "${C}", C: "${A}" });
    expect(three.message).toBe("A refers to itself through A → B → C → A");
    expect(three.field).toBe("A");
  });

  it("names the cycle, not the key that led into it", () => {
    const error = resolveError({ X: "${A}", A: "${B}", B: "${A}" });
    expect(error.message).toBe("A refers to itself through A → B → A");
    expect(error.field).toBe("A");
  });

  it("treats a default on a key inside its own cycle as a cycle", () => {
    expect(resolveError({ A: "${A:-x}" }).message).toBe("A refers to itself through A → A");
    expect(resolveError({ A: "${B:-x}", B: "${A:-y}" }).message).toBe("A refers to itself through A → B → A");
  });

  it("does not report a cycle that only runs through a fallback not taken", () => {
    expect(resolve({ A: "${B:-${A}}", B: "set" }).values).toEqual({ A: "set", B: "set" });
  });

  it("rejects division by zero", () => {
    expect(errorOf("${1 / 0}").message).toBe("V: division by zero");
    expect(errorOf("${1.5 / 0}").message).toBe("V: division by zero");
    expect(errorOf("${1 / (2 - 2)}").message).toBe("V: division by zero");
    expect(errorOf("${5 % 0}").message).toBe("V: division by zero in '%'");
    expect(errorOf("${5 / X}", { X: "0.0" }).message).toBe("V: division by zero");
  });

  it("rejects functions outside the allow-list, naming them", () => {
    expect(errorOf("${exec('rm -rf /')}").message).toBe(
      "V: unknown function 'exec' at position 3 (allowed: min, max, floor, ceil, round)",
    );
    expect(errorOf("${constructor()}").message).toContain("unknown function 'constructor'");
    expect(errorOf("${Math(1)}").message).toContain("unknown function 'Math'");
  });

  it("checks function arity", () => {
    expect(errorOf("${floor()}").message).toBe("V: floor() takes exactly one argument, got 0");
    expect(errorOf("${round(1, 2)}").message).toBe("V: round() takes exactly one argument, got 2");
    expect(errorOf("${min()}").message).toBe("V: min() needs at least one argument");
  });

  it("requires numbers for - * / % and functions, quoting the operand", () => {
    expect(resolveError({ JAVA_OPTS: "${NAME * 2}", NAME: "abc" }).message).toBe(
      `JAVA_OPTS: '*' needs numbers, but NAME is "abc"`,
    );
    expect(errorOf("${'abc' - 1}").message).toBe(`V: '-' needs numbers, but got "abc"`);
    expect(errorOf("${(BERTH_APP + 'x') / 2}").message).toBe(
      `V: '/' needs numbers, but (BERTH_APP + 'x') is "shopx"`,
    );
    expect(errorOf("${BERTH_APP + 'x' - 1}").message).toBe(
      `V: '-' needs numbers, but BERTH_APP + 'x' is "shopx"`,
    );
    expect(errorOf("${7 % BERTH_ENV}").message).toBe(`V: '%' needs numbers, but BERTH_ENV is "production"`);
    expect(errorOf("${-BERTH_APP}").message).toBe(`V: '-' needs numbers, but BERTH_APP is "shop"`);
    expect(errorOf("${floor(BERTH_ENV)}").message).toBe(
      `V: floor() needs numbers, but BERTH_ENV is "production"`,
    );
    expect(errorOf("${max(1, '')}").message).toBe(`V: max() needs numbers, but got ""`);
    expect(errorOf("${X * 2}", { X: "1e5" }).message).toBe(`V: '*' needs numbers, but X is "1e5"`);
  });

  it("clips long operand values in messages", () => {
    const message = errorOf("${X * 2}", { X: "y".repeat(500) }).message;
    expect(message).toBe(`V: '*' needs numbers, but X is "${"y".repeat(60)}…"`);
  });

  it("reports syntax errors with their position", () => {
    expect(resolveError({ JAVA_OPTS: "-Xmx${(1 + 2))}m" }).message).toBe(
      "JAVA_OPTS: unexpected ')' at position 14 in ${...}",
    );
    expect(errorOf("${1 +}").message).toBe("V: unexpected '}' at position 6 in ${...}");
    expect(errorOf("${1 2}").message).toBe("V: unexpected number 2 at position 5 in ${...}");
    expect(errorOf("${a b}").message).toBe("V: unexpected name 'b' at position 5 in ${...}");
    expect(errorOf("${1 'x'}").message).toBe("V: unexpected string at position 5 in ${...}");
    expect(errorOf("${1 ; 2}").message).toBe("V: unexpected character ';' at position 5 in ${...}");
    expect(errorOf("${min(1,)}").message).toBe("V: unexpected ')' at position 9 in ${...}");
    expect(errorOf("${(1}").message).toBe("V: unexpected '}' at position 5 in ${...}");
    expect(errorOf("${+1}").message).toBe("V: unexpected '+' at position 3 in ${...}");
    expect(errorOf("${}").message).toBe("V: empty ${} at position 1");
    expect(errorOf("ok ${  }").message).toBe("V: empty ${} at position 4");
    expect(errorOf("${'\\x'}").message).toBe("V: unsupported escape at position 4 in ${...}");
    expect(errorOf("${X.y}").message).toBe("V: unexpected character '.' at position 4 in ${...}");
  });

  it("rejects number forms outside the language", () => {
    expect(errorOf("${1e5}").message).toBe("V: unexpected name 'e5' at position 4 in ${...}");
    expect(errorOf("${0x10}").message).toBe("V: unexpected name 'x10' at position 4 in ${...}");
    expect(errorOf("${.5}").message).toBe("V: unexpected character '.' at position 3 in ${...}");
    expect(errorOf("${2.}").message).toBe("V: unexpected character '.' at position 4 in ${...}");
  });

  it("reports unterminated placeholders and strings", () => {
    expect(errorOf("abc ${X").message).toBe("V: unterminated ${ at position 5");
    expect(errorOf("${").message).toBe("V: unterminated ${ at position 1");
    expect(errorOf("${1 + ").message).toBe("V: unterminated ${ at position 1");
    expect(errorOf("${X:-abc").message).toBe("V: unterminated ${ at position 1");
    expect(errorOf("${X:-${Y}").message).toBe("V: unterminated ${ at position 1");
    expect(errorOf("${X:-${Y").message).toBe("V: unterminated ${ at position 6");
    expect(errorOf("${'abc}").message).toBe("V: unterminated string at position 3");
  });
});

describe("prototype names are never looked up on objects", () => {
  it("treats constructor, __proto__, toString and friends as unknown references", () => {
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "prototype"]) {
      expect(errorOf(`\${${name}}`).message).toBe(
        `V refers to ${name}, which is not set in any layer and is not a platform fact`,
      );
      expect(value(`\${${name}:-safe}`)).toBe("safe");
      expect(failure(() => renderTemplate(`\${${name}}`, resolve({}), FACTS, "file f")).message).toContain(
        `refers to ${name}`,
      );
    }
  });

  it("still finds keys that really have those names", () => {
    expect(value("${constructor}", { constructor: "c" })).toBe("c");
    const values = JSON.parse('{"__proto__": "p", "V": "${__proto__}!"}') as Record<string, string>;
    const resolved = resolve(values);
    expect(resolved.values.V).toBe("p!");
    expect(Object.hasOwn(resolved.values, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(resolved.values)).toBe(Object.prototype);
  });
});

describe("secrets and taint", () => {
  const SECRET = "hunter2-Zq9";

  it("marks secret keys and everything that refers to them, transitively", () => {
    const resolved = resolve(
      {
        PASSWORD: SECRET,
        URL: "postgres://app:${PASSWORD}@db/app",
        CONFIG: "url=${URL}",
        PLAIN: "${BERTH_APP}",
        DEFAULTED: "${PASSWORD:-none}",
        UNTAKEN: "${PLAIN:-${URL}}",
        OTHER: "${PLAIN}",
      },
      ["PASSWORD"],
    );
    expect(resolved.values.CONFIG).toBe(`url=postgres://app:${SECRET}@db/app`);
    expect(resolved.values.UNTAKEN).toBe("shop");
    expect([...resolved.secret].sort()).toEqual(["CONFIG", "DEFAULTED", "PASSWORD", "UNTAKEN", "URL"]);
  });

  it("ignores secret names that are not keys", () => {
    expect(resolve({ A: "a" }, ["NOT_A_KEY", "BERTH_APP"]).secret).toEqual(new Set());
  });

  it("marks secret templates even when they contain placeholders", () => {
    expect(resolve({ S: "${BERTH_APP}-pw" }, ["S"]).secret).toEqual(new Set(["S"]));
  });

  it("never quotes a secret value in an error", () => {
    const cases: { values: Record<string, string>; secrets: string[]; expected: string }[] = [
      {
        values: { S: SECRET, V: "${S * 2}" },
        secrets: ["S"],
        expected: "V: '*' needs numbers, but S (a secret) is not a number",
      },
      {
        values: { S: SECRET, T: "${S}", V: "${T / 2}" },
        secrets: ["S"],
        expected: "V: '/' needs numbers, but T (a secret) is not a number",
      },
      {
        values: { S: SECRET, V: "${(S + 'x') * 2}" },
        secrets: ["S"],
        expected: "V: '*' needs numbers, but (S + 'x') (a secret) is not a number",
      },
      {
        values: { S: SECRET, V: "${-S}" },
        secrets: ["S"],
        expected: "V: '-' needs numbers, but S (a secret) is not a number",
      },
      {
        values: { S: SECRET, V: "${max(1, S)}" },
        secrets: ["S"],
        expected: "V: max() needs numbers, but S (a secret) is not a number",
      },
      {
        values: { S: `\${'${SECRET}' * 2}` },
        secrets: ["S"],
        expected: "S: '*' needs numbers, but an operand (a secret) is not a number",
      },
      {
        values: { S: `\${'x' + ${SECRET.replace("-", "_")}}` },
        secrets: ["S"],
        expected:
          "S refers to a name which is not set in any layer and is not a platform fact (the name is not shown because S is a secret)",
      },
    ];
    for (const { values, secrets, expected } of cases) {
      const error = resolveError(values, secrets);
      expect(error.message).toBe(expected);
      expect(error.message).not.toContain(SECRET);
      expect(error.message).not.toContain("hunter2");
    }
  });

  it("does not quote any part of a secret template in syntax errors", () => {
    const templates = [
      "pw${hunter2",
      "pw${)hunter2}",
      "pw${hunter2 # x}",
      "pw${hunter2(1)}",
      "pw${'hunter2\\q'}",
      "pw${'hunter2",
      "pw${1 hunter2}",
      "pw${(hunter2))}",
    ];
    for (const template of templates) {
      const error = resolveError({ S: template }, ["S"]);
      expect(error.field).toBe("S");
      expect(error.message).not.toContain("hunter2");
      expect(error.message).not.toContain("#");
    }
    expect(resolveError({ S: "pw${)hunter2}" }, ["S"]).message).toBe(
      "S: unexpected token at position 5 in ${...}",
    );
    expect(resolveError({ S: "pw${hunter2(1)}" }, ["S"]).message).toBe(
      "S: unknown function at position 5 (allowed: min, max, floor, ceil, round)",
    );
  });

  it("does not quote a secret that is too long or part of a cycle", () => {
    const long = `${SECRET}${"x".repeat(TEMPLATE_LIMITS.maxTemplateLength)}`;
    const tooLong = resolveError({ S: long }, ["S"]);
    expect(tooLong.message).toBe("S: template is longer than 65536 characters");
    const cycle = resolveError({ S: `${SECRET}\${V}`, V: "${S}" }, ["S"]);
    expect(cycle.message).toBe("S refers to itself through S → V → S");
  });

  it("keeps secrets out of renderTemplate errors too", () => {
    const resolved = resolve({ S: SECRET }, ["S"]);
    const error = failure(() => renderTemplate("x=${S * 2}", resolved, FACTS, "file /app/x.conf"));
    expect(error.message).toBe("file /app/x.conf: '*' needs numbers, but S (a secret) is not a number");
  });
});

describe("renderTemplate", () => {
  const resolved = resolve(
    {
      DB_PASSWORD: "s3cret",
      DB_URL: "jdbc:postgresql://db/app",
      POOL: "${BERTH_CPUS * 8}",
      AUTH: "${DB_PASSWORD}",
    },
    ["DB_PASSWORD"],
  );

  it("renders a config file against resolved values and facts", () => {
    const text = "db.url=${DB_URL}\npool=${POOL}\nheap=${BERTH_MEMORY_MB * 3 / 4}m\nprice=$$5\n";
    expect(renderTemplate(text, resolved, FACTS, "file /app/application.properties")).toEqual({
      text: "db.url=jdbc:postgresql://db/app\npool=4\nheap=768m\nprice=$5\n",
      secret: false,
    });
  });

  it("does not re-resolve the resolved values", () => {
    const raw = { values: { X: "$${Y}" }, secret: new Set<string>() };
    expect(renderTemplate("${X}", raw, {}, "file f").text).toBe("$${Y}");
  });

  it("is secret when it refers to a secret or tainted key, taken or not", () => {
    expect(renderTemplate("pw=${DB_PASSWORD}", resolved, FACTS, "f")).toEqual({
      text: "pw=s3cret",
      secret: true,
    });
    expect(renderTemplate("a=${AUTH}", resolved, FACTS, "f").secret).toBe(true);
    expect(renderTemplate("${DB_URL:-${DB_PASSWORD}}", resolved, FACTS, "f")).toEqual({
      text: "jdbc:postgresql://db/app",
      secret: true,
    });
    expect(renderTemplate("${BERTH_APP}", resolved, FACTS, "f").secret).toBe(false);
  });

  it("prefers keys to facts", () => {
    const withKey = { values: { BERTH_APP: "mine" }, secret: new Set<string>() };
    expect(renderTemplate("${BERTH_APP}", withKey, FACTS, "f").text).toBe("mine");
  });

  it("names the label in errors", () => {
    const unknown = failure(() => renderTemplate("${NOPE}", resolved, FACTS, "file /app/x.conf"));
    expect(unknown.message).toBe(
      "file /app/x.conf refers to NOPE, which is not set in any layer and is not a platform fact",
    );
    expect(unknown.field).toBe("file /app/x.conf");
    expect(unknown.code).toBe("invalid");
    const syntax = failure(() => renderTemplate("a\n${1 +* 2}", resolved, FACTS, "file /app/x.conf"));
    expect(syntax.message).toBe("file /app/x.conf: unexpected '*' at position 8 in ${...}");
  });

  it("limits the rendered size", () => {
    const big = { values: { BIG: "x".repeat(40_000) }, secret: new Set<string>() };
    expect(renderTemplate("${BIG}", big, {}, "f").text).toHaveLength(40_000);
    expect(failure(() => renderTemplate("${BIG}${BIG}", big, {}, "f")).message).toBe(
      "f: resolves to more than 65536 characters",
    );
  });
});

describe("referencesOf", () => {
  it("lists keys and facts in first-seen order, once each", () => {
    expect(referencesOf("${A} ${B:-${C}} ${max(A, D)} ${'E'} $${F} ${A}", "V")).toEqual(["A", "B", "C", "D"]);
    expect(referencesOf("-Xmx${BERTH_MEMORY_MB * 3 / 4}m", "V")).toEqual(["BERTH_MEMORY_MB"]);
  });

  it("returns nothing for plain text", () => {
    expect(referencesOf("plain $ text }", "V")).toEqual([]);
  });

  it("throws on syntax errors, naming the label", () => {
    const error = failure(() => referencesOf("${(}", "file /x"));
    expect(error.field).toBe("file /x");
    expect(error.message).toBe("file /x: unexpected '}' at position 4 in ${...}");
    expect(failure(() => referencesOf("${evil()}", "f")).message).toContain("unknown function 'evil'");
  });
});

describe("limits", () => {
  it("publishes its limits", () => {
    expect(TEMPLATE_LIMITS).toEqual({
      maxExpressionLength: 1024,
      maxDepth: 32,
      maxValueLength: 65536,
      maxTemplateLength: 65536,
    });
  });

  it("accepts an expression of exactly 1024 characters and rejects 1025", () => {
    expect(value(`\${${" ".repeat(1023)}1}`)).toBe("1");
    expect(value(`\${${"1+".repeat(511)}1}`)).toBe("512");
    expect(errorOf(`\${${" ".repeat(1024)}1}`).message).toBe(
      "V: expression at position 1 is longer than 1024 characters",
    );
    expect(errorOf(`\${'${"x".repeat(5000)}'}`).message).toBe(
      "V: expression at position 1 is longer than 1024 characters",
    );
  });

  it("accepts nesting of exactly 32 levels and rejects 33", () => {
    expect(value(`\${${"(".repeat(31)}1${")".repeat(31)}}`)).toBe("1");
    expect(errorOf(`\${${"(".repeat(32)}1${")".repeat(32)}}`).message).toBe(
      "V: nesting deeper than 32 levels at position 34",
    );
    expect(value(`${"${X:-".repeat(32)}deep${"}".repeat(32)}`)).toBe("deep");
    expect(errorOf(`${"${X:-".repeat(33)}deep${"}".repeat(33)}`).message).toBe(
      "V: nesting deeper than 32 levels at position 161",
    );
  });

  it("fails fast on 10,000 nested parentheses, minus signs or calls", () => {
    for (const template of [
      `\${${"(".repeat(10_000)}1${")".repeat(10_000)}}`,
      `\${${"-".repeat(10_000)}1}`,
      `\${${"min(".repeat(10_000)}1${")".repeat(10_000)}}`,
      `\${${"(".repeat(10_000)}`,
    ]) {
      const { result, ms } = timed(() => errorOf(template));
      expect(result.message).toMatch(/^V: nesting deeper than 32 levels at position \d+$/);
      expect(ms).toBeLessThan(1000);
    }
  });

  it("fails fast on 100 levels of nested defaults", () => {
    const template = `${"${X:-".repeat(100)}x${"}".repeat(100)}`;
    const { result, ms } = timed(() => errorOf(template));
    expect(result.message).toMatch(/^V: nesting deeper than 32 levels/);
    expect(ms).toBeLessThan(1000);
  });

  it("rejects numbers beyond the safe integer range", () => {
    expect(errorOf("${99999999999999999999 * 99999999999999}").message).toBe("V: number too large");
    expect(errorOf("${99999999999999999999}").message).toBe("V: number too large");
    expect(value("${9007199254740991}")).toBe("9007199254740991");
    expect(value("${-9007199254740991}")).toBe("-9007199254740991");
    expect(errorOf("${9007199254740991 + 1}").message).toBe("V: number too large");
    expect(errorOf("${4503599627370496 * 2}").message).toBe("V: number too large");
    expect(errorOf("${max(9007199254740991, 1) * -2}").message).toBe("V: number too large");
    expect(errorOf("${X + 1}", { X: "99999999999999999999" }).message).toBe("V: number too large");
    expect(errorOf("${1.5 * 9007199254740991}").message).toBe("V: number too large");
  });

  it("stops a doubling chain of 40 keys quickly", () => {
    const values: Record<string, string> = { K39: "x" };
    for (let i = 0; i < 39; i++) values[`K${i}`] = `\${K${i + 1}}\${K${i + 1}}`;
    const { result, ms } = timed(() => resolveError(values));
    expect(result.message).toBe("K22: resolves to more than 65536 characters");
    expect(result.field).toBe("K22");
    expect(ms).toBeLessThan(1000);
  });

  it("stops a doubling chain built with + quickly", () => {
    const values: Record<string, string> = { K39: "x" };
    for (let i = 0; i < 39; i++) values[`K${i}`] = `\${K${i + 1} + K${i + 1}}`;
    const { result, ms } = timed(() => resolveError(values));
    expect(result.message).toBe("K22: resolves to more than 65536 characters");
    expect(ms).toBeLessThan(1000);
  });

  it("accepts values up to 64 KiB and rejects larger ones", () => {
    const max = TEMPLATE_LIMITS.maxValueLength;
    expect(value("a".repeat(max))).toHaveLength(max);
    expect(errorOf("a".repeat(max + 1)).message).toBe("V: template is longer than 65536 characters");
    expect(value("${A}${A}", { A: "a".repeat(max / 2) })).toHaveLength(max);
    expect(errorOf("${A}${A}x", { A: "a".repeat(max / 2) }).message).toBe(
      "V: resolves to more than 65536 characters",
    );
    const hugeFact = { ...FACTS, HUGE: "f".repeat(max + 1) };
    expect(resolveError({ V: "${HUGE}" }, [], hugeFact).message).toBe(
      "V: resolves to more than 65536 characters",
    );
    expect(resolveError({ V: "${HUGE:-x}" }, [], hugeFact).message).toBe(
      "V: resolves to more than 65536 characters",
    );
    expect(failure(() => renderTemplate("a".repeat(max + 1), resolve({}), FACTS, "f")).message).toBe(
      "f: template is longer than 65536 characters",
    );
  });

  it("resolves each key once, however often it is referenced", () => {
    const values: Record<string, string> = { BASE: "${BERTH_MEMORY_MB / 2}" };
    for (let i = 0; i < 2000; i++) values[`K${i}`] = "${BASE}${BASE}${BASE}";
    const { result, ms } = timed(() => resolve(values));
    expect(result.values.K1999).toBe("512512512");
    expect(ms).toBeLessThan(1000);
  });

  it("rejects reference chains longer than 64 keys without overflowing the stack", () => {
    const chain = (length: number): Record<string, string> => {
      // Declared head first, so nothing down the chain is already resolved when K0 starts.
      const values: Record<string, string> = {};
      for (let i = 0; i < length - 1; i++) values[`K${i}`] = `\${K${i + 1}}`;
      values[`K${length - 1}`] = "end";
      return values;
    };
    expect(resolve(chain(64)).values.K0).toBe("end");
    expect(resolveError(chain(65)).message).toBe(
      "K64: references nest more than 64 keys deep (K0 → … → K64)",
    );
    expect(resolveError(chain(100_000)).message).toMatch(/references nest more than 64 keys deep/);
  });

  it("answers deep mixes of keys, defaults, parentheses and calls with a DomainError, never a RangeError", () => {
    const wrappers = [
      (inner: string, d: number) => `\${${"(".repeat(d)}${inner}${")".repeat(d)}}`,
      (inner: string, d: number) => `\${${"-".repeat(d)}${inner}}`,
      (inner: string, d: number) => `\${${"max(0, ".repeat(d)}${inner}${")".repeat(d)}}`,
      (inner: string, d: number) => `${"${NOPE:-".repeat(d)}\${${inner}}${"}".repeat(d)}`,
    ];
    for (const wrap of wrappers) {
      for (const depth of [1, 8, 31]) {
        for (const length of [2, 16, 64, 65]) {
          const values: Record<string, string> = {};
          for (let i = 0; i < length - 1; i++) values[`K${i}`] = wrap(`K${i + 1}`, depth);
          values[`K${length - 1}`] = "1";
          try {
            resolve(values);
          } catch (error) {
            expect(error).toBeInstanceOf(DomainError);
          }
        }
      }
    }
  });

  it("bounds nesting summed across references", () => {
    const values: Record<string, string> = { K29: "1" };
    for (let i = 0; i < 29; i++) values[`K${i}`] = `\${${"min(".repeat(30)}K${i + 1}${")".repeat(30)}}`;
    expect(resolveError(values).message).toMatch(
      /^K\d+: references nest more than 256 levels deep \(K0 → … → K\d+\)$/,
    );
  });
});
