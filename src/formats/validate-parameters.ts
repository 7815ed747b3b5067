import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { DomainError } from "../domain/domain-error.js";

const compiled = new Map<string, ValidateFunction>();
// useDefaults fills in what the schema defaults; coerceTypes turns "4" into 4 where the schema says integer (the CLI sends --param values as text).
const OPTIONS = { strict: false, allErrors: false, useDefaults: true, coerceTypes: true } as const;
const WITHOUT_DEFAULTS = { ...OPTIONS, useDefaults: false } as const;

/**
 * Parameters checked against a module's JSON Schema, defaults filled in. A module without a
 * schema for the operation takes no parameters at all. The error names the parameter and the rule.
 */
export function validateParameters(
  schema: Record<string, unknown> | undefined,
  values: Record<string, unknown>,
  what: string,
  /** false for an update: a value not given keeps the instance's own, not the schema's default. */
  fillDefaults = true,
): Record<string, unknown> {
  if (!schema) {
    const names = Object.keys(values);
    if (names.length > 0)
      throw new DomainError(
        "invalid",
        `${what} takes no parameters (given: ${names.join(", ")})`,
        "parameters",
      );
    return {};
  }
  const key = `${fillDefaults}:${JSON.stringify(schema)}`;
  let validate = compiled.get(key);
  if (!validate) {
    // Its own validator: modules (or versions) whose schemas share an $id must not collide.
    validate = new Ajv2020(fillDefaults ? OPTIONS : WITHOUT_DEFAULTS).compile(schema);
    compiled.set(key, validate);
  }
  const copy = structuredClone(values);
  if (validate(copy)) return copy;
  const e = validate.errors?.[0];
  const name =
    e?.keyword === "additionalProperties"
      ? String((e.params as { additionalProperty?: string }).additionalProperty)
      : e?.keyword === "required"
        ? String((e.params as { missingProperty?: string }).missingProperty)
        : (e?.instancePath ?? "").replace(/^\//, "").replace(/\//g, ".");
  const rule =
    e?.keyword === "additionalProperties"
      ? "is not a parameter of it"
      : e?.keyword === "required"
        ? "is required"
        : e?.keyword === "enum"
          ? `must be one of ${((e.params as { allowedValues?: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(", ")}`
          : (e?.message ?? "is invalid");
  throw new DomainError(
    "invalid",
    `${what}: parameter ${name || "(all)"} ${rule}`,
    name ? `parameters.${name}` : "parameters",
  );
}
