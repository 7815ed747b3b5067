import {
  type BinaryOp,
  DEFAULT_FORM,
  DIGIT,
  ESCAPES,
  type Expr,
  FUNCTION_LIST,
  FUNCTIONS,
  invalid,
  NAME_PART,
  NAME_START,
  PUNCTUATION,
  type Segment,
  TEMPLATE_LIMITS,
  type Template,
  type Token,
} from "./template-syntax.js";

/** Turns template text into segments and expression trees; every input is bounded, so hostile text fails fast. */

export class TemplateParser {
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

export function parseTemplate(text: string, field: string, secret: boolean): Template {
  if (text.length > TEMPLATE_LIMITS.maxTemplateLength) {
    invalid(field, `template is longer than ${TEMPLATE_LIMITS.maxTemplateLength} characters`);
  }
  const parser = new TemplateParser(text, field, secret);
  const segments = parser.parse();
  return { segments, refs: [...parser.refs] };
}
