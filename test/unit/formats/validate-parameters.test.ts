import { describe, expect, it } from "vitest";
import { DomainError } from "../../../src/domain/domain-error.js";
import { validateParameters } from "../../../src/formats/validate-parameters.js";
import { shippedManifest } from "./module-fixture.js";

const SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: {
    name: { type: "string" },
    workers: { type: "integer", minimum: 1, maximum: 100, default: 2 },
    policy: { type: "string", enum: ["noeviction", "allkeys-lru"], default: "noeviction" },
    tls: { type: "boolean", default: false },
    tuning: { type: "object", properties: { depth: { type: "integer" } } },
  },
};

/** The DomainError validateParameters throws (fails when it does not throw one). */
function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error("expected a refusal");
}

describe("validateParameters", () => {
  it("fills in the schema's defaults", () => {
    expect(validateParameters(SCHEMA, { name: "a" }, "cache 1.0.0")).toEqual({
      name: "a",
      workers: 2,
      policy: "noeviction",
      tls: false,
    });
  });

  it("keeps what was given over the defaults", () => {
    expect(validateParameters(SCHEMA, { name: "a", workers: 7, policy: "allkeys-lru" }, "m")).toEqual({
      name: "a",
      workers: 7,
      policy: "allkeys-lru",
      tls: false,
    });
  });

  it('coerces "4" to 4 for an integer, and "true" to true for a boolean (the CLI sends text)', () => {
    const out = validateParameters(SCHEMA, { name: "a", workers: "4", tls: "true" }, "m");
    expect(out.workers).toBe(4);
    expect(out.tls).toBe(true);
  });

  it("refuses text that is not an integer, naming the parameter", () => {
    const e = refusal(() => validateParameters(SCHEMA, { name: "a", workers: "four" }, "cache 1.0.0"));
    expect(e.code).toBe("invalid");
    expect(e.field).toBe("parameters.workers");
    expect(e.message).toBe("cache 1.0.0: parameter workers must be integer");
  });

  it("refuses a fraction for an integer, and a value out of range", () => {
    expect(refusal(() => validateParameters(SCHEMA, { name: "a", workers: 1.5 }, "m")).field).toBe(
      "parameters.workers",
    );
    const e = refusal(() => validateParameters(SCHEMA, { name: "a", workers: 101 }, "m"));
    expect(e.message).toBe("m: parameter workers must be <= 100");
  });

  it("lists the allowed values when an enum is violated", () => {
    const e = refusal(() => validateParameters(SCHEMA, { name: "a", policy: "lru" }, "cache 1.0.0"));
    expect(e.field).toBe("parameters.policy");
    expect(e.message).toBe('cache 1.0.0: parameter policy must be one of "noeviction", "allkeys-lru"');
  });

  it("refuses an unknown parameter: it is not a parameter of it", () => {
    const e = refusal(() => validateParameters(SCHEMA, { name: "a", colour: "red" }, "cache 1.0.0"));
    expect(e.field).toBe("parameters.colour");
    expect(e.message).toBe("cache 1.0.0: parameter colour is not a parameter of it");
  });

  it("names a missing required parameter", () => {
    const e = refusal(() => validateParameters(SCHEMA, {}, "m"));
    expect(e.field).toBe("parameters.name");
    expect(e.message).toMatch(/^m: parameter name /);
  });

  it("names a nested parameter by its dotted path", () => {
    const e = refusal(() => validateParameters(SCHEMA, { name: "a", tuning: { depth: "deep" } }, "m"));
    expect(e.field).toBe("parameters.tuning.depth");
    expect(e.message).toBe("m: parameter tuning.depth must be integer");
  });

  it("a module without a schema for the operation refuses any parameter", () => {
    const e = refusal(() => validateParameters(undefined, { workers: 2, tls: true }, "dask 1.0.0 bind"));
    expect(e.code).toBe("invalid");
    expect(e.field).toBe("parameters");
    expect(e.message).toBe("dask 1.0.0 bind takes no parameters (given: workers, tls)");
  });

  it("a module without a schema takes no parameters: {} is fine", () => {
    expect(validateParameters(undefined, {}, "m")).toEqual({});
  });

  it("does not change the object it was given (nor its nested objects)", () => {
    const given = { name: "a", workers: "4", tuning: {} as Record<string, unknown> };
    const before = structuredClone(given);
    const out = validateParameters(
      {
        ...SCHEMA,
        properties: {
          ...SCHEMA.properties,
          tuning: { type: "object", properties: { depth: { type: "integer", default: 3 } } },
        },
      },
      given,
      "m",
    );
    expect(given).toEqual(before);
    expect(out).toMatchObject({ workers: 4, tuning: { depth: 3 } });
    expect(out).not.toBe(given);
    expect(out.tuning).not.toBe(given.tuning);
  });

  it("judges the same schema the same way each time (compiled once, no state kept between calls)", () => {
    expect(validateParameters(SCHEMA, { name: "a" }, "m").workers).toBe(2);
    expect(validateParameters(SCHEMA, { name: "b", workers: 9 }, "m").workers).toBe(9);
    expect(validateParameters(structuredClone(SCHEMA), { name: "c" }, "m").workers).toBe(2);
  });

  it("takes a shipped module's own create schema (Dask's workers: default 2, coerced from text)", () => {
    const dask = shippedManifest("dask");
    expect(validateParameters(dask.parameters.create, {}, "dask")).toEqual({ workers: 2 });
    expect(validateParameters(dask.parameters.create, { workers: "8" }, "dask")).toEqual({ workers: 8 });
    expect(refusal(() => validateParameters(dask.parameters.create, { workers: 0 }, "dask")).field).toBe(
      "parameters.workers",
    );
  });

  // Was a bug (fixed; src/formats/validate-parameters.ts): every schema is compiled into one shared Ajv
  // instance, which registers a schema's $id globally. A second module (or version) whose
  // parameter schema has the same $id but other content throws a plain Error ("schema with key
  // or id ... already exists"), not a DomainError, so creating its instances fails with a 500.
  it("judges two different schemas that share an $id each by its own rules", () => {
    const v1 = { $id: "https://example.com/cache/params", type: "object", properties: { n: { default: 1 } } };
    const v2 = { $id: "https://example.com/cache/params", type: "object", properties: { n: { default: 2 } } };
    expect(validateParameters(v1, {}, "cache 1.0.0")).toEqual({ n: 1 });
    expect(validateParameters(v2, {}, "cache 1.1.0")).toEqual({ n: 2 });
  });
});
