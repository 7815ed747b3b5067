import { DomainError } from "../domain/domain-error.js";

/** The template language's limits, vocabulary and syntax tree, shared by the parser and the evaluator. */

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
export const MAX_REFERENCE_CHAIN = 64;
/**
 * maxDepth bounds one template; this bounds the sum along a chain of references (keys, `${}`, parentheses,
 * unary minus and calls), which is what the evaluator's stack actually grows with. Node 20 overflows
 * somewhere past 1,500 such levels, so this leaves a wide margin for callers' own frames.
 */
export const MAX_TOTAL_NESTING = 256;

/** Text that counts as a number when it comes from a key, a fact or a string literal. */
export const NUMERIC = /^-?\d+(\.\d+)?$/;
/** `${NAME:-` opens the shell-style default form; anything else after `${` is an expression. */
export const DEFAULT_FORM = /([A-Za-z_][A-Za-z0-9_]*):-/y;
export const NAME_START = /[A-Za-z_]/;
export const NAME_PART = /[A-Za-z0-9_]/;
export const DIGIT = /[0-9]/;
export const PUNCTUATION = new Set(["(", ")", ",", "+", "-", "*", "/", "%", "}"]);
export const ESCAPES = new Map([
  ["\\", "\\"],
  ['"', '"'],
  ["'", "'"],
  ["n", "\n"],
  ["t", "\t"],
]);

export type BinaryOp = "+" | "-" | "*" | "/" | "%";
export type FunctionName = "min" | "max" | "floor" | "ceil" | "round";
/** A Map, not an object, so names like `constructor` can never resolve to something inherited. */
export const FUNCTIONS = new Map<string, { name: FunctionName; variadic: boolean }>([
  ["min", { name: "min", variadic: true }],
  ["max", { name: "max", variadic: true }],
  ["floor", { name: "floor", variadic: false }],
  ["ceil", { name: "ceil", variadic: false }],
  ["round", { name: "round", variadic: false }],
]);
export const FUNCTION_LIST = [...FUNCTIONS.keys()].join(", ");

/** Offsets into the template text, kept so errors can point at and quote the operand at fault. */
export interface Span {
  start: number;
  end: number;
}

export type Expr =
  | ({ kind: "number"; value: number } & Span)
  | ({ kind: "string"; value: string } & Span)
  | ({ kind: "ref"; name: string } & Span)
  | ({ kind: "negate"; operand: Expr } & Span)
  | ({ kind: "call"; fn: FunctionName; args: Expr[] } & Span)
  // Same-precedence operators are kept flat and folded in a loop, so `1+1+1+...` never deepens the stack.
  | ({ kind: "chain"; first: Expr; rest: { op: BinaryOp; operand: Expr }[] } & Span);

export type Segment =
  | { kind: "text"; text: string }
  | { kind: "expr"; expr: Expr }
  | { kind: "default"; name: string; fallback: Segment[] };

export interface Template {
  segments: Segment[];
  refs: string[];
}

export type Token =
  | { type: "number"; value: number; text: string; pos: number; end: number }
  | { type: "string"; value: string; pos: number; end: number }
  | { type: "name"; name: string; pos: number; end: number }
  | { type: "punct"; char: string; pos: number; end: number };

export function invalid(field: string, message: string): never {
  throw new DomainError("invalid", `${field}: ${message}`, field);
}
