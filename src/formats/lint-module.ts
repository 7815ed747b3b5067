import { Ajv2020 } from "ajv/dist/2020.js";
import { LineCounter, type Node, parseDocument } from "yaml";
import { resolveConfig } from "../config/render-template.js";
import { CapabilityManifest } from "../domain/capability-module.js";
import { dockerfileImages } from "../domain/dockerfile-images.js";
import { DomainError } from "../domain/domain-error.js";
import { MANIFEST_FILE, MODULE_LIMITS, type ModuleFile, textOf } from "./module-files.js";
import { bindingVariables, instanceVariables } from "./module-variables.js";
import { yamlNodeAt } from "./yaml-node-at.js";

export interface ModuleProblem {
  file: string;
  line: number;
  /** The field at fault, dotted (e.g. services.server.image); "" for the file as a whole. */
  field: string;
  message: string;
}

export interface LintResult {
  manifest: CapabilityManifest | undefined;
  problems: ModuleProblem[];
}

/** The only image a module's Dockerfiles may build on: Berth's Debian base, never a pulled one. */
export const MODULE_BASE_IMAGE = "berth/debian:bookworm";

/** "capability.yaml:12: services.server.image: no image named 'srv'" */
export const problemText = (p: ModuleProblem) =>
  `${p.file}:${p.line}: ${p.field ? `${p.field}: ` : ""}${p.message}`;

/**
 * Judges a module folder whole, as `berth module lint` and `catalog add` both do: the manifest
 * against the format, then everything it points at (images and their Dockerfiles, services,
 * hooks, parameter schemas, templates). Pure: files in, problems out, each with file and line.
 */
export function lintModule(files: readonly ModuleFile[]): LintResult {
  const problems: ModuleProblem[] = [];
  const bytes = files.reduce((n, f) => n + f.data.byteLength, 0);
  if (files.length > MODULE_LIMITS.files || bytes > MODULE_LIMITS.bytes) {
    const what = `${files.length} files, ${bytes} bytes`;
    problems.push({
      file: ".",
      line: 1,
      field: "",
      message: `a module folder holds at most ${MODULE_LIMITS.files} files and ${MODULE_LIMITS.bytes} bytes (this one: ${what})`,
    });
    return { manifest: undefined, problems };
  }
  const byPath = new Map(files.map((f) => [f.path, f]));
  const manifestFile = byPath.get(MANIFEST_FILE);
  if (!manifestFile) {
    problems.push({
      file: MANIFEST_FILE,
      line: 1,
      field: "",
      message: "the module folder has no capability.yaml",
    });
    return { manifest: undefined, problems };
  }
  const lines = new LineCounter();
  const doc = parseDocument(textOf(manifestFile), {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
  });
  if (doc.errors.length > 0) {
    for (const e of doc.errors)
      problems.push({
        file: MANIFEST_FILE,
        line: lines.linePos(e.pos[0]).line,
        field: "",
        message: e.message.split("\n")[0] ?? "invalid YAML",
      });
    return { manifest: undefined, problems };
  }
  const at = (path: readonly (string | number)[], message: string) => {
    const node = yamlNodeAt(doc.contents as Node | null, path.map(String), true);
    problems.push({
      file: MANIFEST_FILE,
      line: lines.linePos(node?.range?.[0] ?? 0).line,
      field: path.join("."),
      message,
    });
  };
  const parsed = CapabilityManifest.safeParse(doc.toJS());
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path as (string | number)[];
      // Zod names the object; the field at fault is each unknown key in it.
      if (issue.code === "unrecognized_keys")
        for (const key of issue.keys) at([...path, key], `unknown field '${key}'`);
      else at(path, issue.message);
    }
    return { manifest: undefined, problems };
  }
  const m = parsed.data;
  checkReferences(m, at);
  checkParameters(m, at);
  checkTemplates(m, at);
  checkImages(m, byPath, at, problems);
  return { manifest: problems.length === 0 ? m : undefined, problems };
}

type At = (path: readonly (string | number)[], message: string) => void;

function checkReferences(m: CapabilityManifest, at: At) {
  const images = Object.keys(m.images);
  const services = Object.keys(m.services);
  const image = (path: (string | number)[], name: string | undefined) => {
    if (name !== undefined && !images.includes(name))
      at(path, `no image named '${name}' (images: ${images.join(", ")})`);
  };
  const service = (path: (string | number)[], name: string) => {
    if (!services.includes(name)) at(path, `no service named '${name}' (services: ${services.join(", ")})`);
  };
  for (const [name, s] of Object.entries(m.services)) {
    image(["services", name, "image"], s.image);
    image(["services", name, "ready", "command", "image"], s.ready.command?.image);
  }
  service(["binding", "service"], m.binding.service);
  image(["binding", "create", "image"], m.binding.create?.image);
  image(["binding", "delete", "image"], m.binding.delete?.image);
  if (m.binding.create && !m.binding.delete)
    at(
      ["binding", "create"],
      "a binding that creates a user must also say how to delete it (binding.delete)",
    );
  if (m.backup) {
    service(["backup", "service"], m.backup.service);
    image(["backup", "backup", "image"], m.backup.backup.image);
    image(["backup", "restore", "image"], m.backup.restore.image);
  }
  const defaults = Object.entries(m.plans).filter(([, p]) => p.default);
  if (defaults.length > 1) at(["plans", defaults[1]?.[0] ?? ""], "only one plan may be the default");
  m.upgrades.forEach((u, i) => {
    image(["upgrades", i, "preflight", "image"], u.preflight?.image);
    if (u.from === u.to) at(["upgrades", i, "to"], "an upgrade goes from one version to another");
  });
}

/** Every parameter schema compiles; a replicas parameter is an integer the create schema declares. */
function checkParameters(m: CapabilityManifest, at: At) {
  for (const [op, schema] of Object.entries(m.parameters)) {
    // One validator per schema: two schemas sharing an $id must not collide.
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    if (schema === undefined) continue;
    if (schema.type !== "object") {
      at(["parameters", op, "type"], "a parameter schema is an object schema (type: object)");
      continue;
    }
    try {
      ajv.compile(schema);
    } catch (error) {
      at(["parameters", op], `not a valid JSON Schema: ${(error as Error).message}`);
    }
    for (const name of Object.keys(propertiesOf(schema)))
      if (!/^[a-z][a-z0-9_]{0,39}$/.test(name))
        at(
          ["parameters", op, "properties", name],
          "parameter names are lower-case letters, digits or '_' (they become PARAM_NAME)",
        );
  }
  const create = propertiesOf(m.parameters.create);
  for (const [name, s] of Object.entries(m.services)) {
    if (typeof s.replicas === "number") continue;
    const p = create[s.replicas.param] as { type?: unknown; default?: unknown } | undefined;
    if (!p || p.type !== "integer" || typeof p.default !== "number")
      at(
        ["services", name, "replicas", "param"],
        `'${s.replicas.param}' must be an integer create parameter with a default`,
      );
  }
}

export function propertiesOf(schema: Record<string, unknown> | undefined): Record<string, unknown> {
  const p = schema?.properties;
  return typeof p === "object" && p !== null && !Array.isArray(p) ? (p as Record<string, unknown>) : {};
}

/** Templates parse and refer only to names Berth gives them. */
function checkTemplates(m: CapabilityManifest, at: At) {
  const probe = (
    values: Record<string, string>,
    facts: Record<string, string>,
    base: (string | number)[],
  ) => {
    try {
      resolveConfig({ values, secrets: new Set(), facts });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      at([...base, error.field ?? ""], error.message);
    }
  };
  const facts = instanceVariables(m, {
    instance: "example",
    plan: Object.values(m.plans)[0] ?? { cpus: 1, memoryMb: 256 },
    params: exampleParams(m),
    secrets: Object.fromEntries(Object.keys(m.secrets).map((k) => [k, "x".repeat(16)])),
  });
  for (const [name, s] of Object.entries(m.services)) probe(s.env, facts, ["services", name, "env"]);
  const bindingFacts = { ...facts, ...bindingVariables({ name: "db", username: "u", password: "p" }) };
  probe(m.binding.credentials, bindingFacts, ["binding", "credentials"]);
  const credentialFacts = Object.fromEntries(
    Object.keys(m.binding.credentials).map((k) => [`CREDENTIAL_${credentialVariable(k)}`, "x"]),
  );
  probe(m.binding.env, { ...bindingFacts, ...credentialFacts }, ["binding", "env"]);
}

/** A credential key as a variable: `uri` → URI, `ssl-mode` → SSL_MODE. */
export const credentialVariable = (key: string) => key.toUpperCase().replace(/[.-]/g, "_");

/** A value for every create parameter (its default, or a stand-in), for checking templates. */
function exampleParams(m: CapabilityManifest): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(propertiesOf(m.parameters.create)).map(([k, v]) => [
      k,
      (v as { default?: unknown }).default ?? "example",
    ]),
  );
}

/** Each image's context is a folder of the module with a Dockerfile built only on Berth's base. */
function checkImages(
  m: CapabilityManifest,
  byPath: Map<string, ModuleFile>,
  at: At,
  problems: ModuleProblem[],
) {
  for (const [name, image] of Object.entries(m.images)) {
    const context = image.context.replace(/\/+$/, "");
    const dockerfile = byPath.get(`${context}/Dockerfile`);
    if (!dockerfile) {
      at(["images", name, "context"], `${context}/Dockerfile is not in the module folder`);
      continue;
    }
    let bases: string[];
    try {
      bases = dockerfileImages(textOf(dockerfile));
    } catch (error) {
      at(["images", name, "context"], `${context}/Dockerfile: ${(error as Error).message}`);
      continue;
    }
    const text = textOf(dockerfile).split("\n");
    for (const base of bases)
      if (base !== MODULE_BASE_IMAGE) {
        const line =
          text.findIndex(
            (l) =>
              /^\s*(FROM|COPY|ADD)\b/i.test(l) &&
              l
                .trim()
                .split(/\s+/)
                .some((w) => w === base || w === `--from=${base}`),
          ) + 1;
        problems.push({
          file: `${context}/Dockerfile`,
          line: Math.max(line, 1),
          field: "",
          message: `builds on '${base}'; module images build only on ${MODULE_BASE_IMAGE} (nothing is pulled)`,
        });
      }
  }
}
