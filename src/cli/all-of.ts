/**
 * Every value of a string union, checked complete at compile time: the CLI lists choices for
 * --help without loading the schemas (and zod) at run time.
 */
export const allOf =
  <T extends string>() =>
  <const A extends readonly T[]>(...values: A & ([T] extends [A[number]] ? unknown : never)): A =>
    values;
