import type { z } from "zod";

/**
 * A JSON column read back as the domain value it was written from, checked against its schema:
 * a row edited or damaged outside Berth fails here, with the row named, rather than deep in a
 * service that trusted its shape.
 */
export function storedJson<S extends z.ZodType>(schema: S, text: string, what: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`the store holds malformed JSON in ${what}`);
  }
  return storedValue(schema, value, what);
}

/** A column's value checked against its domain schema (an enum kept as text, say). */
export function storedValue<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
    throw new Error(`the store holds an invalid value in ${what}${at}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/** SQLite and PostgreSQL here keep booleans as 0 and 1. */
export const storedBoolean = (value: number | boolean): boolean => value === 1 || value === true;
