import { DomainError } from "../domain/domain-error.js";

/**
 * Config values are templates with a deliberately tiny expression language: a hand-written parser and
 * evaluator over a closed set of operations, so a value can compute (`${BERTH_MEMORY_MB * 3 / 4}`) but never
 * run code, touch files or reach the network. Every input is bounded so hostile values fail fast.
 */

export interface ResolveInput {
  /** Raw (unresolved) values by key; each may contain ${...}. */
  values: Readonly<Record<string, string>>;
  /** Keys whose raw value is a secret. */
  secrets: ReadonlySet<string>;
  /** Platform facts such as BERTH_MEMORY_MB ("1024"), BERTH_CPUS ("0.5"), BERTH_ENV, BERTH_APP, BERTH_RELEASE. */
  facts: Readonly<Record<string, string>>;
}

export interface Resolved {
  values: Record<string, string>;
  /** Keys whose resolved value is secret or depends (transitively) on a secret. */
  secret: Set<string>;
}

import { parseTemplate } from "./template-parser.js";
import {
  type BinaryOp,
  type Expr,
  type FunctionName,
  invalid,
  MAX_REFERENCE_CHAIN,
  MAX_TOTAL_NESTING,
  NUMERIC,
  type Segment,
  type Span,
  TEMPLATE_LIMITS,
  type Template,
} from "./template-syntax.js";

export { TEMPLATE_LIMITS } from "./template-syntax.js";

interface Found {
  text: string;
  secret: boolean;
}

interface Scope {
  field: string;
  source: string;
  /** The template text is secret, so errors may not quote it (only names that resolved). */
  sourceSecret: boolean;
  /** The value of a key or fact, or undefined when neither defines the name. */
  lookup(name: string): Found | undefined;
  /** Shared by every scope of one resolution, so nesting is counted across references. */
  nesting: Nesting;
}

interface Nesting {
  depth: number;
  /** Keys being resolved, outermost first. */
  chain: string[];
}

function enter(scope: Scope): void {
  const nesting = scope.nesting;
  if (++nesting.depth <= MAX_TOTAL_NESTING) return;
  const path = nesting.chain.length > 1 ? ` (${nesting.chain[0]} → … → ${scope.field})` : "";
  invalid(scope.field, `references nest more than ${MAX_TOTAL_NESTING} levels deep${path}`);
}

interface Value {
  text: string;
  num: number | undefined;
  secret: boolean;
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return n === 0 ? "0" : String(n);
  const text = n.toFixed(6).replace(/0+$/, "").replace(/\.$/, "");
  return text === "-0" ? "0" : text;
}

function numberValue(scope: Scope, n: number, secret: boolean): Value {
  if (!Number.isFinite(n) || Math.abs(n) > Number.MAX_SAFE_INTEGER) invalid(scope.field, "number too large");
  return { text: formatNumber(n), num: n, secret };
}

function textValue(text: string, secret: boolean): Value {
  return { text, num: NUMERIC.test(text) ? Number(text) : undefined, secret };
}

/** How an error names an operand: a reference by its name, anything else by its source (unless secret). */
function operandLabel(scope: Scope, node: Expr | Span): string | undefined {
  if ("kind" in node) {
    if (node.kind === "ref") return node.name;
    if (node.kind === "number" || node.kind === "string") return undefined;
  }
  if (scope.sourceSecret) return undefined;
  return clip(scope.source.slice(node.start, node.end));
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function toNumber(scope: Scope, what: string, value: Value, node: Expr | Span): number {
  if (value.num === undefined) {
    const label = operandLabel(scope, node);
    if (value.secret) {
      invalid(scope.field, `${what} needs numbers, but ${label ?? "an operand"} (a secret) is not a number`);
    }
    const shown = JSON.stringify(clip(value.text));
    invalid(
      scope.field,
      `${what} needs numbers, but ${label === undefined ? "got" : `${label} is`} ${shown}`,
    );
  }
  if (Math.abs(value.num) > Number.MAX_SAFE_INTEGER) invalid(scope.field, "number too large");
  return value.num;
}

function unknownReference(scope: Scope, name: string): never {
  const tail = "which is not set in any layer and is not a platform fact";
  const message = scope.sourceSecret
    ? `${scope.field} refers to a name ${tail} (the name is not shown because ${scope.field} is a secret)`
    : `${scope.field} refers to ${name}, ${tail}`;
  throw new DomainError("invalid", message, scope.field);
}

function applyBinary(
  scope: Scope,
  op: BinaryOp,
  left: Value,
  right: Value,
  leftNode: Expr | Span,
  rightNode: Expr,
): Value {
  const secret = left.secret || right.secret;
  if (op === "+" && (left.num === undefined || right.num === undefined)) {
    if (left.text.length + right.text.length > TEMPLATE_LIMITS.maxValueLength) tooLong(scope);
    return textValue(left.text + right.text, secret);
  }
  const what = `'${op}'`;
  const a = toNumber(scope, what, left, leftNode);
  const b = toNumber(scope, what, right, rightNode);
  if (op === "/" && b === 0) invalid(scope.field, "division by zero");
  if (op === "%" && b === 0) invalid(scope.field, "division by zero in '%'");
  switch (op) {
    case "+":
      return numberValue(scope, a + b, secret);
    case "-":
      return numberValue(scope, a - b, secret);
    case "*":
      return numberValue(scope, a * b, secret);
    case "/":
      // BigInt truncates toward zero exactly; float division then Math.trunc can round up near 2^53.
      return numberValue(
        scope,
        Number.isInteger(a) && Number.isInteger(b) ? Number(BigInt(a) / BigInt(b)) : a / b,
        secret,
      );
    case "%":
      // JS `%` is already exact and truncating, which is the integer rule asked for.
      return numberValue(scope, a % b, secret);
  }
}

function callFunction(scope: Scope, fn: FunctionName, args: Expr[]): Value {
  let secret = false;
  const numbers = args.map((arg) => {
    const value = evaluate(scope, arg);
    secret ||= value.secret;
    return toNumber(scope, `${fn}()`, value, arg);
  });
  const x = numbers[0] ?? 0;
  switch (fn) {
    case "min":
      return numberValue(scope, Math.min(...numbers), secret);
    case "max":
      return numberValue(scope, Math.max(...numbers), secret);
    case "floor":
      return numberValue(scope, Math.floor(x), secret);
    case "ceil":
      return numberValue(scope, Math.ceil(x), secret);
    case "round":
      return numberValue(scope, Math.round(x), secret);
  }
}

function evaluate(scope: Scope, expr: Expr): Value {
  enter(scope);
  const value = evaluateNode(scope, expr);
  scope.nesting.depth--;
  return value;
}

function evaluateNode(scope: Scope, expr: Expr): Value {
  switch (expr.kind) {
    case "number":
      return numberValue(scope, expr.value, scope.sourceSecret);
    case "string":
      return textValue(expr.value, scope.sourceSecret);
    case "ref": {
      const found = scope.lookup(expr.name);
      if (found === undefined) return unknownReference(scope, expr.name);
      return textValue(found.text, found.secret);
    }
    case "negate": {
      const value = evaluate(scope, expr.operand);
      return numberValue(scope, -toNumber(scope, "'-'", value, expr.operand), value.secret);
    }
    case "call":
      return callFunction(scope, expr.fn, expr.args);
    case "chain": {
      let value = evaluate(scope, expr.first);
      let leftNode: Expr | Span = expr.first;
      for (const { op, operand } of expr.rest) {
        value = applyBinary(scope, op, value, evaluate(scope, operand), leftNode, operand);
        leftNode = { start: expr.start, end: operand.end };
      }
      return value;
    }
  }
}

function tooLong(scope: Scope): never {
  return invalid(scope.field, `resolves to more than ${TEMPLATE_LIMITS.maxValueLength} characters`);
}

/** Checks the running length after every piece, so doubling chains stop before building a huge string. */
function render(scope: Scope, segments: Segment[]): string {
  enter(scope);
  const parts: string[] = [];
  let length = 0;
  for (const segment of segments) {
    let piece: string;
    if (segment.kind === "text") piece = segment.text;
    else if (segment.kind === "expr") piece = evaluate(scope, segment.expr).text;
    else {
      const found = scope.lookup(segment.name);
      piece = found !== undefined && found.text !== "" ? found.text : render(scope, segment.fallback);
    }
    length += piece.length;
    if (length > TEMPLATE_LIMITS.maxValueLength) tooLong(scope);
    parts.push(piece);
  }
  scope.nesting.depth--;
  return parts.join("");
}

/** Keys that can reach a secret key through any reference, taken or not: over-marking is the safe side. */
function taintedKeys(templates: ReadonlyMap<string, Template>, secrets: ReadonlySet<string>): Set<string> {
  const dependents = new Map<string, string[]>();
  for (const [key, template] of templates) {
    for (const ref of template.refs) {
      if (!templates.has(ref)) continue;
      const list = dependents.get(ref);
      if (list) list.push(key);
      else dependents.set(ref, [key]);
    }
  }
  const tainted = new Set([...templates.keys()].filter((key) => secrets.has(key)));
  const queue = [...tainted];
  for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
    for (const dependent of dependents.get(key) ?? []) {
      if (tainted.has(dependent)) continue;
      tainted.add(dependent);
      queue.push(dependent);
    }
  }
  return tainted;
}

/** Resolves every key; throws DomainError("invalid", message, key) naming the offending key. */
export function resolveConfig(input: ResolveInput): Resolved {
  // Maps rather than the input objects, so `__proto__` or `toString` can only be keys someone set.
  const facts = new Map(Object.entries(input.facts));
  const templates = new Map<string, Template>();
  const sources = new Map<string, string>();
  for (const [key, text] of Object.entries(input.values)) {
    sources.set(key, text);
    templates.set(key, parseTemplate(text, key, input.secrets.has(key)));
  }
  const secret = taintedKeys(templates, input.secrets);
  const done = new Map<string, string>();
  const nesting: Nesting = { depth: 0, chain: [] };
  const chain = nesting.chain;

  const lookup = (name: string): Found | undefined => {
    if (templates.has(name)) return { text: resolveKey(name), secret: secret.has(name) };
    const fact = facts.get(name);
    return fact === undefined ? undefined : { text: fact, secret: false };
  };

  const resolveKey = (key: string): string => {
    const memo = done.get(key);
    if (memo !== undefined) return memo;
    const at = chain.indexOf(key);
    if (at >= 0) {
      const path = [...chain.slice(at), key].join(" → ");
      throw new DomainError("invalid", `${key} refers to itself through ${path}`, key);
    }
    if (chain.length >= MAX_REFERENCE_CHAIN) {
      invalid(key, `references nest more than ${MAX_REFERENCE_CHAIN} keys deep (${chain[0]} → … → ${key})`);
    }
    chain.push(key);
    const scope: Scope = {
      field: key,
      source: sources.get(key) ?? "",
      sourceSecret: input.secrets.has(key),
      lookup,
      nesting,
    };
    const value = render(scope, templates.get(key)?.segments ?? []);
    chain.pop();
    done.set(key, value);
    return value;
  };

  for (const key of templates.keys()) resolveKey(key);
  // fromEntries defines own properties, so even a key named `__proto__` lands as data.
  return {
    values: Object.fromEntries([...templates.keys()].map((key) => [key, done.get(key) ?? ""])),
    secret,
  };
}

/** Renders a free-standing template (e.g. a config file's text) against resolved values and facts.
 *  `label` names it in errors (e.g. "file /app/config/application.properties"). */
export function renderTemplate(
  text: string,
  resolved: Resolved,
  facts: Readonly<Record<string, string>>,
  label: string,
): { text: string; secret: boolean } {
  const template = parseTemplate(text, label, false);
  const own = (record: Readonly<Record<string, string>>, name: string): string | undefined =>
    Object.hasOwn(record, name) ? record[name] : undefined;
  const scope: Scope = {
    field: label,
    source: text,
    sourceSecret: false,
    nesting: { depth: 0, chain: [] },
    lookup: (name) => {
      const value = own(resolved.values, name);
      if (value !== undefined) return { text: value, secret: resolved.secret.has(name) };
      const fact = own(facts, name);
      return fact === undefined ? undefined : { text: fact, secret: false };
    },
  };
  return {
    text: render(scope, template.segments),
    secret: template.refs.some((ref) => resolved.secret.has(ref)),
  };
}

/** Names a template refers to (keys or facts), for diagnostics; throws DomainError on syntax errors. */
export function referencesOf(text: string, label: string): string[] {
  return parseTemplate(text, label, false).refs;
}
