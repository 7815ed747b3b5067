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

export const TEMPLATE_LIMITS: Readonly<{
  maxExpressionLength: number;
  maxDepth: number;
  maxValueLength: number;
  maxTemplateLength: number;
}> = Object.freeze({
  maxExpressionLength: 1024,
  maxDepth: 32,
  maxValueLength: 64 * 1024,
  maxTemplateLength: 64 * 1024,
});

/**
 * Resolution recurses from key to key; capping the chain keeps the JS stack bounded whatever the input
 * (each hop may itself nest up to maxDepth). No real configuration chains this many keys.
 */
const MAX_REFERENCE_CHAIN = 64;
/**
 * maxDepth bounds one template; this bounds the sum along a chain of references (keys, `${}`, parentheses,
 * unary minus and calls), which is what the evaluator's stack actually grows with. Node 20 overflows
 * somewhere past 1,500 such levels, so this leaves a wide margin for callers' own frames.
 */
const MAX_TOTAL_NESTING = 256;

/** Text that counts as a number when it comes from a key, a fact or a string literal. */
const NUMERIC = /^-?\d+(\.\d+)?$/;
/** `${NAME:-` opens the shell-style default form; anything else after `${` is an expression. */
const DEFAULT_FORM = /([A-Za-z_][A-Za-z0-9_]*):-/y;
const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;
const PUNCTUATION = new Set(["(", ")", ",", "+", "-", "*", "/", "%", "}"]);
const ESCAPES = new Map([
  ["\\", "\\"],
  ['"', '"'],
  ["'", "'"],
  ["n", "\n"],
  ["t", "\t"],
]);

type BinaryOp = "+" | "-" | "*" | "/" | "%";
type FunctionName = "min" | "max" | "floor" | "ceil" | "round";
/** A Map, not an object, so names like `constructor` can never resolve to something inherited. */
const FUNCTIONS = new Map<string, { name: FunctionName; variadic: boolean }>([
  ["min", { name: "min", variadic: true }],
  ["max", { name: "max", variadic: true }],
  ["floor", { name: "floor", variadic: false }],
  ["ceil", { name: "ceil", variadic: false }],
  ["round", { name: "round", variadic: false }],
]);
const FUNCTION_LIST = [...FUNCTIONS.keys()].join(", ");

/** Offsets into the template text, kept so errors can point at and quote the operand at fault. */
interface Span {
  start: number;
  end: number;
}

type Expr =
  | ({ kind: "number"; value: number } & Span)
  | ({ kind: "string"; value: string } & Span)
  | ({ kind: "ref"; name: string } & Span)
  | ({ kind: "negate"; operand: Expr } & Span)
  | ({ kind: "call"; fn: FunctionName; args: Expr[] } & Span)
  // Same-precedence operators are kept flat and folded in a loop, so `1+1+1+...` never deepens the stack.
  | ({ kind: "chain"; first: Expr; rest: { op: BinaryOp; operand: Expr }[] } & Span);

type Segment =
  | { kind: "text"; text: string }
  | { kind: "expr"; expr: Expr }
  | { kind: "default"; name: string; fallback: Segment[] };

interface Template {
  segments: Segment[];
  refs: string[];
}

type Token =
  | { type: "number"; value: number; text: string; pos: number; end: number }
  | { type: "string"; value: string; pos: number; end: number }
  | { type: "name"; name: string; pos: number; end: number }
  | { type: "punct"; char: string; pos: number; end: number };

function invalid(field: string, message: string): never {
  throw new DomainError("invalid", `${field}: ${message}`, field);
}

class TemplateParser {
  private pos = 0;
  private depth = 0;
  private exprStart = 0;
  private openAt = 0;
  private lookahead: Token | undefined;
  /** A Set keeps first-seen order and drops repeats. */
  readonly refs = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly field: string,
    /** The text itself is secret: errors may give positions but must not quote any of it. */
    private readonly secret: boolean,
  ) {}

  parse(): Segment[] {
    return this.template(undefined);
  }

  private fail(message: string): never {
    return invalid(this.field, message);
  }

  private enter(at: number): void {
    this.depth++;
    if (this.depth > TEMPLATE_LIMITS.maxDepth) {
      this.fail(`nesting deeper than ${TEMPLATE_LIMITS.maxDepth} levels at position ${at + 1}`);
    }
  }

  /** Literal text and placeholders up to the end, or up to the `}` closing the `${` at `openedAt`. */
  private template(openedAt: number | undefined): Segment[] {
    const segments: Segment[] = [];
    const text = this.text;
    let literal = "";
    for (;;) {
      if (this.pos >= text.length) {
        if (openedAt !== undefined) this.fail(`unterminated \${ at position ${openedAt + 1}`);
        break;
      }
      const c = text.charAt(this.pos);
      if (c === "}" && openedAt !== undefined) {
        this.pos++;
        break;
      }
      if (c === "$") {
        const next = text.charAt(this.pos + 1);
        if (next === "{") {
          if (literal !== "") segments.push({ kind: "text", text: literal });
          literal = "";
          segments.push(this.placeholder());
          continue;
        }
        literal += "$";
        this.pos += next === "$" ? 2 : 1;
        continue;
      }
      let end = this.pos + 1;
      while (end < text.length) {
        const d = text.charAt(end);
        if (d === "$" || (d === "}" && openedAt !== undefined)) break;
        end++;
      }
      literal += text.slice(this.pos, end);
      this.pos = end;
    }
    if (literal !== "") segments.push({ kind: "text", text: literal });
    return segments;
  }

  private placeholder(): Segment {
    const open = this.pos;
    this.pos += 2;
    this.enter(open);
    DEFAULT_FORM.lastIndex = this.pos;
    const match = DEFAULT_FORM.exec(this.text);
    let segment: Segment;
    if (match) {
      const name = match[1] ?? "";
      this.refs.add(name);
      this.pos = DEFAULT_FORM.lastIndex;
      segment = { kind: "default", name, fallback: this.template(open) };
    } else {
      segment = { kind: "expr", expr: this.expression(open) };
    }
    this.depth--;
    return segment;
  }

  private expression(open: number): Expr {
    this.exprStart = this.pos;
    this.openAt = open;
    this.lookahead = undefined;
    const first = this.peek();
    if (first.type === "punct" && first.char === "}") this.fail(`empty \${} at position ${open + 1}`);
    const expr = this.additive();
    this.expect("}");
    return expr;
  }

  private additive(): Expr {
    return this.chain(() => this.multiplicative(), "+-");
  }

  private multiplicative(): Expr {
    return this.chain(() => this.unary(), "*/%");
  }

  private chain(operand: () => Expr, ops: string): Expr {
    const first = operand();
    const rest: { op: BinaryOp; operand: Expr }[] = [];
    let end = first.end;
    for (;;) {
      const t = this.peek();
      if (t.type !== "punct" || !ops.includes(t.char)) break;
      this.next();
      const right = operand();
      rest.push({ op: t.char as BinaryOp, operand: right });
      end = right.end;
    }
    return rest.length === 0 ? first : { kind: "chain", first, rest, start: first.start, end };
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.type !== "punct" || t.char !== "-") return this.primary();
    this.next();
    this.enter(t.pos);
    const operand = this.unary();
    this.depth--;
    return { kind: "negate", operand, start: t.pos, end: operand.end };
  }

  private primary(): Expr {
    const t = this.next();
    if (t.type === "number") return { kind: "number", value: t.value, start: t.pos, end: t.end };
    if (t.type === "string") return { kind: "string", value: t.value, start: t.pos, end: t.end };
    if (t.type === "name") {
      const after = this.peek();
      if (after.type === "punct" && after.char === "(") return this.call(t);
      this.refs.add(t.name);
      return { kind: "ref", name: t.name, start: t.pos, end: t.end };
    }
    if (t.char !== "(") return this.unexpected(t);
    this.enter(t.pos);
    const inner = this.additive();
    const close = this.expect(")");
    this.depth--;
    // Widened to include the parentheses so an error quotes `(a + b)` rather than `a + b`.
    return { ...inner, start: t.pos, end: close.end };
  }

  private call(name: Token & { type: "name" }): Expr {
    const fn = FUNCTIONS.get(name.name);
    if (!fn) {
      const which = this.secret ? "" : ` '${name.name}'`;
      return this.fail(`unknown function${which} at position ${name.pos + 1} (allowed: ${FUNCTION_LIST})`);
    }
    this.next();
    this.enter(name.pos);
    const args: Expr[] = [];
    const first = this.peek();
    if (first.type !== "punct" || first.char !== ")") {
      args.push(this.additive());
      for (;;) {
        const t = this.peek();
        if (t.type !== "punct" || t.char !== ",") break;
        this.next();
        args.push(this.additive());
      }
    }
    const close = this.expect(")");
    this.depth--;
    if (fn.variadic && args.length === 0) this.fail(`${fn.name}() needs at least one argument`);
    if (!fn.variadic && args.length !== 1) {
      this.fail(`${fn.name}() takes exactly one argument, got ${args.length}`);
    }
    return { kind: "call", fn: fn.name, args, start: name.pos, end: close.end };
  }

  private expect(char: string): Token {
    const t = this.next();
    if (t.type !== "punct" || t.char !== char) this.unexpected(t);
    return t;
  }

  private unexpected(t: Token): never {
    const where = `at position ${t.pos + 1} in \${...}`;
    if (this.secret) this.fail(`unexpected token ${where}`);
    const what =
      t.type === "number"
        ? `number ${t.text}`
        : t.type === "string"
          ? "string"
          : t.type === "name"
            ? `name '${t.name}'`
            : `'${t.char}'`;
    return this.fail(`unexpected ${what} ${where}`);
  }

  private peek(): Token {
    this.lookahead ??= this.scan();
    return this.lookahead;
  }

  private next(): Token {
    const t = this.peek();
    this.lookahead = undefined;
    return t;
  }

  /** Reads one character of the current expression, enforcing its length limit and termination. */
  private charAt(p: number): string {
    if (p - this.exprStart > TEMPLATE_LIMITS.maxExpressionLength) {
      this.fail(
        `expression at position ${this.openAt + 1} is longer than ${TEMPLATE_LIMITS.maxExpressionLength} characters`,
      );
    }
    if (p >= this.text.length) this.fail(`unterminated \${ at position ${this.openAt + 1}`);
    return this.text.charAt(p);
  }

  private scan(): Token {
    let p = this.pos;
    let c = this.charAt(p);
    while (c === " " || c === "\t" || c === "\n" || c === "\r") c = this.charAt(++p);
    const start = p;
    let token: Token;
    if (DIGIT.test(c)) {
      while (DIGIT.test(this.charAt(p))) p++;
      if (this.charAt(p) === "." && DIGIT.test(this.charAt(p + 1))) {
        p++;
        while (DIGIT.test(this.charAt(p))) p++;
      }
      const text = this.text.slice(start, p);
      token = { type: "number", value: Number(text), text, pos: start, end: p };
    } else if (NAME_START.test(c)) {
      while (NAME_PART.test(this.charAt(p))) p++;
      token = { type: "name", name: this.text.slice(start, p), pos: start, end: p };
    } else if (c === '"' || c === "'") {
      token = this.scanString(start, c);
      p = token.end;
    } else if (PUNCTUATION.has(c)) {
      p++;
      token = { type: "punct", char: c, pos: start, end: p };
    } else {
      const which = this.secret ? "" : ` '${c}'`;
      return this.fail(`unexpected character${which} at position ${start + 1} in \${...}`);
    }
    this.pos = p;
    return token;
  }

  private scanString(start: number, quote: string): Token {
    let value = "";
    let p = start + 1;
    for (;;) {
      if (p >= this.text.length) this.fail(`unterminated string at position ${start + 1}`);
      const c = this.charAt(p);
      if (c === quote) break;
      if (c === "\\") {
        const escaped = ESCAPES.get(this.charAt(p + 1));
        if (escaped === undefined) this.fail(`unsupported escape at position ${p + 1} in \${...}`);
        value += escaped;
        p += 2;
      } else {
        value += c;
        p++;
      }
    }
    return { type: "string", value, pos: start, end: p + 1 };
  }
}

function parseTemplate(text: string, field: string, secret: boolean): Template {
  if (text.length > TEMPLATE_LIMITS.maxTemplateLength) {
    invalid(field, `template is longer than ${TEMPLATE_LIMITS.maxTemplateLength} characters`);
  }
  const parser = new TemplateParser(text, field, secret);
  const segments = parser.parse();
  return { segments, refs: [...parser.refs] };
}

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
