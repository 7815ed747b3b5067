import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  credentialVariable,
  type LintResult,
  lintModule,
  MODULE_BASE_IMAGE,
  type ModuleProblem,
  problemText,
} from "../../../src/formats/lint-module.js";
import { MODULE_LIMITS } from "../../../src/formats/module-files.js";
import { readModuleFolder } from "../../../src/formats/read-module-folder.js";
import {
  CAPABILITIES,
  edit,
  file,
  lineOf,
  MANIFEST,
  moduleFiles,
  TOOLS_DOCKERFILE,
} from "./module-fixture.js";

/** Lints the fixture with its capability.yaml edited (from → to, in order). */
function lintEdited(...edits: [string, string][]): { text: string; result: LintResult } {
  const text = edits.reduce((t, [from, to]) => edit(t, from, to), MANIFEST);
  return { text, result: lintModule(moduleFiles({ "capability.yaml": text })) };
}

/** The one problem a lint found (fails when there are none or several). */
function only(result: LintResult): ModuleProblem {
  expect(result.problems).toHaveLength(1);
  expect(result.manifest).toBeUndefined();
  return result.problems[0] as ModuleProblem;
}

describe("lintModule: modules that are right", () => {
  const shipped = readdirSync(CAPABILITIES, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);

  it("finds the shipped modules", () => {
    expect(shipped).toEqual(expect.arrayContaining(["dask", "mariadb", "postgresql", "rabbitmq", "redis"]));
  });

  it.each(shipped)("capabilities/%s lints clean", (name) => {
    const { manifest, problems } = lintModule(readModuleFolder(join(CAPABILITIES, name)));
    expect(problems.map(problemText)).toEqual([]);
    expect(manifest?.id).toBe(name);
  });

  it("gives the manifest back with the format's defaults filled in", () => {
    const { manifest, problems } = lintModule(moduleFiles());
    expect(problems).toEqual([]);
    expect(manifest?.services.server?.replicas).toBe(1);
    expect(manifest?.services.worker?.replicas).toEqual({ param: "workers" });
    expect(manifest?.services.server?.startTimeout).toBe(120);
    expect(manifest?.binding.provider).toBe("berth");
    expect(manifest?.binding.create?.timeoutSeconds).toBe(300);
    expect(manifest?.backup?.restoreMode).toBe("online");
    expect(manifest?.plans.large?.default).toBe(false);
    expect(manifest?.upgrades).toEqual([]);
  });

  it("accepts build stages, stage indexes and scratch next to the base image", () => {
    const dockerfile = [
      "FROM berth/debian:bookworm AS build",
      "RUN make",
      "FROM scratch AS empty",
      "FROM build",
      "COPY --from=build /out /app",
      "COPY --from=0 /out /app2",
      "",
    ].join("\n");
    expect(lintModule(moduleFiles({ "images/tools/Dockerfile": dockerfile })).problems).toEqual([]);
  });

  it("takes an image context with a trailing slash", () => {
    const { result } = lintEdited(["context: images/tools", "context: images/tools/"]);
    expect(result.problems).toEqual([]);
  });

  it("lets binding.env use a credential with '.' or '-' in its key as CREDENTIAL_X_Y", () => {
    const { result } = lintEdited(
      ["    uri: redis://", "    ssl-mode: require\n    tls.ca: none\n    uri: redis://"],
      [
        "    REDIS_URL: ${CREDENTIAL_URI}",
        "    REDIS_URL: ${CREDENTIAL_URI}?${CREDENTIAL_SSL_MODE}${CREDENTIAL_TLS_CA}",
      ],
    );
    expect(result.problems).toEqual([]);
    expect(credentialVariable("ssl-mode")).toBe("SSL_MODE");
    expect(credentialVariable("tls.ca")).toBe("TLS_CA");
  });
});

describe("lintModule: the folder as a whole", () => {
  it("refuses a folder without capability.yaml", () => {
    expect(only(lintModule(moduleFiles({ "capability.yaml": null })))).toEqual({
      file: "capability.yaml",
      line: 1,
      field: "",
      message: "the module folder has no capability.yaml",
    });
  });

  it(`refuses more than ${MODULE_LIMITS.files} files, and only then`, () => {
    const files = moduleFiles();
    const filler = (n: number) =>
      Array.from({ length: n }, (_, i) => file(`images/server/data/f${i}.txt`, "x"));
    const atLimit = [...files, ...filler(MODULE_LIMITS.files - files.length)];
    expect(atLimit).toHaveLength(MODULE_LIMITS.files);
    expect(lintModule(atLimit).problems).toEqual([]);

    const over = [...files, ...filler(MODULE_LIMITS.files - files.length + 1)];
    const p = only(lintModule(over));
    expect(p).toMatchObject({ file: ".", line: 1, field: "" });
    expect(p.message).toContain(`at most ${MODULE_LIMITS.files} files and ${MODULE_LIMITS.bytes} bytes`);
    expect(p.message).toContain(`this one: ${MODULE_LIMITS.files + 1} files`);
  });

  it(`refuses more than ${MODULE_LIMITS.bytes} bytes, and only then`, () => {
    const files = moduleFiles();
    const used = files.reduce((n, f) => n + f.data.byteLength, 0);
    const exact = [...files, file("images/server/blob", Buffer.alloc(MODULE_LIMITS.bytes - used))];
    expect(lintModule(exact).problems).toEqual([]);

    const over = [...files, file("images/server/blob", Buffer.alloc(MODULE_LIMITS.bytes - used + 1))];
    const p = only(lintModule(over));
    expect(p).toMatchObject({ file: ".", line: 1, field: "" });
    expect(p.message).toContain(`${MODULE_LIMITS.bytes + 1} bytes)`);
  });
});

describe("lintModule: YAML syntax", () => {
  it("reports a syntax error in capability.yaml at its line, and stops there", () => {
    const { text, result } = lintEdited(["title: Cache", "title: Cache: the fast one"]);
    const p = only(result);
    expect(p).toMatchObject({ file: "capability.yaml", line: lineOf(text, "title: Cache: the fast one") });
    expect(p.line).toBe(3);
    expect(p.field).toBe("");
    expect(p.message).toMatch(/nested mappings/i);
  });

  it("reports a tab used as indentation at its line", () => {
    const { text, result } = lintEdited(["    memoryMb: 2048", "\tmemoryMb: 2048"]);
    const p = result.problems[0];
    expect(result.manifest).toBeUndefined();
    expect(p).toMatchObject({ file: "capability.yaml", line: lineOf(text, "\tmemoryMb: 2048") });
    expect(p?.message).toMatch(/tab/i);
  });

  it("refuses a key given twice, at the second one", () => {
    const { text, result } = lintEdited(["maturity: stable", "maturity: stable\nid: again"]);
    expect(only(result)).toMatchObject({
      file: "capability.yaml",
      line: lineOf(text, "id: again"),
      field: "",
    });
    expect(result.problems[0]?.message).toMatch(/unique/i);
  });

  it("refuses an empty capability.yaml as not a mapping", () => {
    const p = only(lintModule(moduleFiles({ "capability.yaml": "" })));
    expect(p).toMatchObject({ file: "capability.yaml", line: 1, field: "" });
    expect(p.message).toMatch(/expected object/);
  });
});

describe("lintModule: the format (schema) names the field and its line", () => {
  it("a bad id: field id, line 2", () => {
    const { result } = lintEdited(["id: cache", "id: Cache_1"]);
    const p = only(result);
    expect(p).toMatchObject({ file: "capability.yaml", line: 2, field: "id" });
    expect(p.message).toMatch(/DNS label/);
  });

  it("a wrong apiVersion: field apiVersion, line 1, saying which is right", () => {
    const { result } = lintEdited([
      "apiVersion: berth.dev/capability/v1",
      "apiVersion: berth.dev/capability/v2",
    ]);
    expect(only(result)).toEqual({
      file: "capability.yaml",
      line: 1,
      field: "apiVersion",
      message: "apiVersion must be berth.dev/capability/v1",
    });
  });

  it("a bad version, at its line", () => {
    const { result } = lintEdited(["version: 1.0.0", "version: v1"]);
    expect(only(result)).toMatchObject({
      line: 4,
      field: "version",
      message: expect.stringMatching(/MAJOR/),
    });
  });

  it("a nested bad value names the dotted path and the value's line", () => {
    const { text, result } = lintEdited(["    port: 7000", "    port: seventy"]);
    expect(only(result)).toMatchObject({
      file: "capability.yaml",
      line: lineOf(text, "    port: seventy"),
      field: "services.worker.port",
    });
  });

  it("a bad hook argument list names the field down to the hook", () => {
    const { text, result } = lintEdited(["    command: [/usr/local/lib/berth/backup]", "    command: []"]);
    expect(only(result)).toMatchObject({
      line: lineOf(text, "    command: []"),
      field: "backup.backup.command",
    });
  });

  it("an unknown key is refused and named in the message", () => {
    const { result } = lintEdited(["maturity: stable", "maturity: stable\ncolour: red"]);
    const p = only(result);
    expect(p.file).toBe("capability.yaml");
    expect(p.message).toContain("colour");
  });

  it("an unknown key inside a service is refused under that service", () => {
    const { result } = lintEdited(["    port: 6379", "    port: 6379\n    colour: red"]);
    const p = only(result);
    expect(p.field).toMatch(/^services\.server/);
    expect(p.message).toContain("colour");
  });

  // Was a bug (fixed; src/formats/lint-module.ts, the safeParse loop): zod's unrecognized_keys issue has the
  // path of the enclosing object and the keys in `issue.keys`, so the problem's field is "" (or
  // the parent's path) and its line is the enclosing map's first line, not the unknown key's.
  it("an unknown key is reported with its own field and line", () => {
    const { text, result } = lintEdited(["maturity: stable", "maturity: stable\ncolour: red"]);
    expect(only(result)).toMatchObject({ field: "colour", line: lineOf(text, "colour: red") });
  });

  it("missing plans: field plans", () => {
    const { result } = lintEdited([
      "plans:\n  small:\n    cpus: 0.5\n    memoryMb: 256\n    default: true\n  large:\n    cpus: 2\n    memoryMb: 2048\n",
      "",
    ]);
    const p = only(result);
    expect(p).toMatchObject({ file: "capability.yaml", line: 1, field: "plans" });
  });

  it("no plans at all (an empty map): field plans, at least one plan", () => {
    const { text, result } = lintEdited([
      "plans:\n  small:\n    cpus: 0.5\n    memoryMb: 256\n    default: true\n  large:\n    cpus: 2\n    memoryMb: 2048\n",
      "plans: {}\n",
    ]);
    expect(only(result)).toEqual({
      file: "capability.yaml",
      line: lineOf(text, "plans: {}"),
      field: "plans",
      message: "at least one plan",
    });
  });

  it("a plan with too little memory names plans.<plan>.memoryMb", () => {
    const { text, result } = lintEdited(["    memoryMb: 2048", "    memoryMb: 1"]);
    expect(only(result)).toMatchObject({
      line: lineOf(text, "    memoryMb: 1"),
      field: "plans.large.memoryMb",
    });
  });

  it("reports every schema problem, not just the first", () => {
    const { result } = lintEdited(["id: cache", "id: Cache_1"], ["maturity: stable", "maturity: ripe"]);
    expect(result.manifest).toBeUndefined();
    expect(result.problems.map((p) => [p.line, p.field])).toEqual([
      [2, "id"],
      [6, "maturity"],
    ]);
  });
});

describe("lintModule: what the manifest points at", () => {
  it("a service's image that is not in images", () => {
    const { text, result } = lintEdited([
      "    image: tools\n    port: 7000",
      "    image: tool\n    port: 7000",
    ]);
    expect(only(result)).toEqual({
      file: "capability.yaml",
      line: lineOf(text, "    image: tool"),
      field: "services.worker.image",
      message: "no image named 'tool' (images: server, tools)",
    });
  });

  it("a hook's image that is not in images", () => {
    const { text, result } = lintEdited([
      "    image: tools\n    command: [/usr",
      "    image: nope\n    command: [/usr",
    ]);
    expect(only(result)).toMatchObject({
      line: lineOf(text, "    image: nope"),
      field: "binding.create.image",
      message: "no image named 'nope' (images: server, tools)",
    });
  });

  it("binding.service that is not a service", () => {
    const { text, result } = lintEdited(["  type: redis\n  service: server", "  type: redis\n  service: db"]);
    expect(only(result)).toEqual({
      file: "capability.yaml",
      line: lineOf(text, "  service: db"),
      field: "binding.service",
      message: "no service named 'db' (services: server, worker)",
    });
  });

  it("backup.service that is not a service", () => {
    const { text, result } = lintEdited(["backup:\n  service: server", "backup:\n  service: store"]);
    expect(only(result)).toMatchObject({
      line: lineOf(text, "  service: store"),
      field: "backup.service",
      message: "no service named 'store' (services: server, worker)",
    });
  });

  it("binding.create without binding.delete", () => {
    const { result } = lintEdited(["  delete:\n    command: [/usr/local/lib/berth/unbind]\n", ""]);
    const p = only(result);
    expect(p.field).toBe("binding.create");
    expect(p.message).toMatch(/binding\.delete/);
  });

  it("binding.delete without binding.create is fine (nothing to revoke it against is made)", () => {
    const { result } = lintEdited([
      "  create:\n    image: tools\n    command: [/usr/local/lib/berth/bind]\n",
      "",
    ]);
    expect(result.problems).toEqual([]);
  });

  it("two default plans: the second is named", () => {
    const { result } = lintEdited(["    memoryMb: 2048", "    memoryMb: 2048\n    default: true"]);
    expect(only(result)).toMatchObject({ field: "plans.large", message: "only one plan may be the default" });
  });

  // Was a bug (fixed; src/formats/yaml-node-at.ts, used by lintModule's `at`): for a field whose value is a
  // block map, the node found is the map, whose range begins at its first key, so the problem is
  // reported one line below the field itself (here at "    cpus: 2", not at "  large:").
  it("a field whose value is a map is reported at the field's own line", () => {
    const { text, result } = lintEdited(["    memoryMb: 2048", "    memoryMb: 2048\n    default: true"]);
    expect(only(result)).toMatchObject({ field: "plans.large", line: lineOf(text, "  large:") });
  });

  it("no default plan at all is fine", () => {
    const { result } = lintEdited(["    default: true\n", ""]);
    expect(result.problems).toEqual([]);
  });

  it("an upgrade from a version to itself", () => {
    const { text, result } = lintEdited([
      "    command: [/usr/local/lib/berth/restore]\n",
      "    command: [/usr/local/lib/berth/restore]\nupgrades:\n  - from: 1.0.0\n    to: 1.0.0\n",
    ]);
    expect(only(result)).toMatchObject({ line: lineOf(text, "    to: 1.0.0"), field: "upgrades.0.to" });
  });
});

describe("lintModule: replicas from a parameter", () => {
  const replicasProblem = (result: LintResult, text: string) => {
    expect(only(result)).toEqual({
      file: "capability.yaml",
      line: lineOf(text, "    replicas: {param: workers}"),
      field: "services.worker.replicas.param",
      message: "'workers' must be an integer create parameter with a default",
    });
  };

  it("refuses a parameter the create schema does not declare", () => {
    const { text, result } = lintEdited([
      "      workers:\n        type: integer\n        minimum: 1\n        default: 2\n",
      "",
    ]);
    replicasProblem(result, text);
  });

  it("refuses a parameter that is not an integer", () => {
    const { text, result } = lintEdited(["        type: integer", "        type: number"]);
    replicasProblem(result, text);
  });

  it("refuses an integer parameter without a default", () => {
    const { text, result } = lintEdited(["        default: 2\n", ""]);
    replicasProblem(result, text);
  });

  it("refuses a parameter only the update schema declares", () => {
    const { text, result } = lintEdited(
      ["      workers:\n        type: integer\n        minimum: 1\n        default: 2\n", ""],
      [
        "secrets:",
        "  update:\n    type: object\n    properties:\n      workers:\n        type: integer\n        default: 2\nsecrets:",
      ],
    );
    replicasProblem(result, text);
  });
});

describe("lintModule: parameter schemas", () => {
  it("refuses an invalid JSON Schema, naming parameters.<operation>", () => {
    const { result } = lintEdited(["        type: string", "        type: strin"]);
    const p = only(result);
    expect(p).toMatchObject({ file: "capability.yaml", field: "parameters.create" });
    expect(p.message).toMatch(/^not a valid JSON Schema: /);
  });

  it("refuses unknown keywords (the schema is compiled strictly)", () => {
    const { result } = lintEdited(["        minimum: 1", "        minimun: 1"]);
    const p = only(result);
    expect(p.field).toBe("parameters.create");
    expect(p.message).toContain("minimun");
  });

  it("refuses a schema that is not an object schema, at its type", () => {
    const { text, result } = lintEdited([
      "    type: object\n    additionalProperties",
      "    type: array\n    additionalProperties",
    ]);
    expect(only(result)).toMatchObject({
      line: lineOf(text, "    type: array"),
      field: "parameters.create.type",
      message: "a parameter schema is an object schema (type: object)",
    });
  });

  it("refuses a parameter name that could not be a PARAM_ variable", () => {
    const { result } = lintEdited(["      policy:", "      Policy:"], ["${PARAM_POLICY}", "x"]);
    const p = only(result);
    expect(p.field).toBe("parameters.create.properties.Policy");
    expect(p.message).toMatch(/PARAM_NAME/);
  });
});

describe("lintModule: templates refer only to names Berth gives them", () => {
  it("refuses ${SECRET_NOPE} in a service's env, naming the variable's field and line", () => {
    const { text, result } = lintEdited(["${SECRET_ADMIN_PASSWORD}", "${SECRET_NOPE}"]);
    const p = only(result);
    expect(p).toMatchObject({
      file: "capability.yaml",
      line: lineOf(text, "      ADMIN_PASSWORD: ${SECRET_NOPE}"),
      field: "services.server.env.ADMIN_PASSWORD",
    });
    expect(p.message).toContain("SECRET_NOPE");
  });

  it("refuses an undeclared parameter", () => {
    const { result } = lintEdited(["${PARAM_POLICY}", "${PARAM_POLICIES}"]);
    expect(only(result)).toMatchObject({
      field: "services.server.env.POLICY",
      message: expect.stringContaining("PARAM_POLICIES"),
    });
  });

  it("refuses binding variables in a service's env (they exist only for a binding)", () => {
    const { result } = lintEdited(["${SECRET_ADMIN_PASSWORD}", "${BINDING_PASSWORD}"]);
    expect(only(result).field).toBe("services.server.env.ADMIN_PASSWORD");
  });

  it("refuses an unknown name in the binding's credentials", () => {
    const { text, result } = lintEdited(["    port: ${PORT}", "    port: ${SECRET_NOPE}"]);
    expect(only(result)).toMatchObject({
      line: lineOf(text, "    port: ${SECRET_NOPE}"),
      field: "binding.credentials.port",
      message: expect.stringContaining("SECRET_NOPE"),
    });
  });

  it("refuses CREDENTIAL_ names inside credentials (only binding.env sees them)", () => {
    const { result } = lintEdited(["    password: ${BINDING_PASSWORD}", "    password: ${CREDENTIAL_URI}"]);
    expect(only(result).field).toBe("binding.credentials.password");
  });

  it("refuses a credential binding.env does not have", () => {
    const { text, result } = lintEdited(["${CREDENTIAL_URI}", "${CREDENTIAL_URL}"]);
    expect(only(result)).toMatchObject({
      line: lineOf(text, "    REDIS_URL: ${CREDENTIAL_URL}"),
      field: "binding.env.REDIS_URL",
      message: expect.stringContaining("CREDENTIAL_URL"),
    });
  });

  it("refuses a template that does not parse", () => {
    const { result } = lintEdited(["${PARAM_POLICY}", "${PARAM_POLICY"]);
    expect(only(result)).toMatchObject({
      field: "services.server.env.POLICY",
      message: expect.stringMatching(/unterminated/),
    });
  });
});

describe("lintModule: images and their Dockerfiles", () => {
  it("refuses an image context without a Dockerfile, at the context", () => {
    const { text, result } = lintEdited(["context: images/tools", "context: images/toolz"]);
    expect(only(result)).toEqual({
      file: "capability.yaml",
      line: lineOf(text, "    context: images/toolz"),
      field: "images.tools.context",
      message: "images/toolz/Dockerfile is not in the module folder",
    });
  });

  it("refuses a Dockerfile deleted from an otherwise right module", () => {
    const p = only(lintModule(moduleFiles({ "images/tools/Dockerfile": null })));
    expect(p).toMatchObject({
      field: "images.tools.context",
      message: "images/tools/Dockerfile is not in the module folder",
    });
  });

  it("refuses a context that leaves the module folder", () => {
    const { result } = lintEdited(["context: images/tools", "context: ../tools"]);
    expect(only(result).field).toBe("images.tools.context");
  });

  it("refuses FROM anything but the base image, with the Dockerfile's path and the FROM's line", () => {
    const dockerfile = [
      "# tools",
      "FROM berth/debian:bookworm AS build",
      "RUN make",
      "FROM ubuntu:24.04",
      "COPY --from=build /out /app",
      "",
    ].join("\n");
    expect(only(lintModule(moduleFiles({ "images/tools/Dockerfile": dockerfile })))).toEqual({
      file: "images/tools/Dockerfile",
      line: 4,
      field: "",
      message: `builds on 'ubuntu:24.04'; module images build only on ${MODULE_BASE_IMAGE} (nothing is pulled)`,
    });
  });

  it("refuses another tag of the base image", () => {
    const p = only(lintModule(moduleFiles({ "images/tools/Dockerfile": "FROM berth/debian:trixie\n" })));
    expect(p).toMatchObject({ file: "images/tools/Dockerfile", line: 1 });
    expect(p.message).toContain("'berth/debian:trixie'");
  });

  it("refuses COPY --from another image, at the COPY's line", () => {
    const dockerfile = `${TOOLS_DOCKERFILE}RUN true\nCOPY --from=alpine:3 /bin/busybox /bin/\n`;
    expect(only(lintModule(moduleFiles({ "images/tools/Dockerfile": dockerfile })))).toMatchObject({
      file: "images/tools/Dockerfile",
      line: 4,
      field: "",
      message: expect.stringContaining("'alpine:3'"),
    });
  });

  it("reports each foreign image of each Dockerfile", () => {
    const result = lintModule(
      moduleFiles({
        "images/server/Dockerfile": "FROM redis:7\n",
        "images/tools/Dockerfile":
          "FROM berth/debian:bookworm\nCOPY --from=busybox /bin/sh /bin/sh\nFROM golang:1\n",
      }),
    );
    expect(result.manifest).toBeUndefined();
    expect(result.problems.map((p) => `${p.file}:${p.line}`).sort()).toEqual([
      "images/server/Dockerfile:1",
      "images/tools/Dockerfile:2",
      "images/tools/Dockerfile:3",
    ]);
  });

  // Was a bug (fixed; src/formats/lint-module.ts, checkImages): the line is the first FROM/COPY/ADD line that
  // merely *contains* the image name as a substring, so `debian` is found inside
  // `FROM berth/debian:bookworm` on line 1 instead of at its COPY on line 3.
  it("finds the line of an image whose name is part of the base image's name", () => {
    const dockerfile = "FROM berth/debian:bookworm\nRUN true\nCOPY --from=debian /x /y\n";
    expect(only(lintModule(moduleFiles({ "images/tools/Dockerfile": dockerfile })))).toMatchObject({
      file: "images/tools/Dockerfile",
      line: 3,
    });
  });

  it("refuses a FROM with a variable that has no default, at the image's context", () => {
    const { text } = lintEdited();
    const p = only(lintModule(moduleFiles({ "images/tools/Dockerfile": "FROM $BASE\n" })));
    expect(p).toMatchObject({
      file: "capability.yaml",
      line: lineOf(text, "    context: images/tools"),
      field: "images.tools.context",
    });
    expect(p.message).toMatch(/^images\/tools\/Dockerfile: .*\$\{BASE\}/);
  });

  it("follows a global ARG default to the image it names", () => {
    const dockerfile = "ARG BASE=debian:bookworm\nFROM ${BASE}\n";
    const p = only(lintModule(moduleFiles({ "images/tools/Dockerfile": dockerfile })));
    expect(p.file).toBe("images/tools/Dockerfile");
    expect(p.message).toContain("'debian:bookworm'");
  });
});

describe("problemText", () => {
  it("is file:line: field: message", () => {
    expect(
      problemText({
        file: "capability.yaml",
        line: 12,
        field: "services.server.image",
        message: "no image named 'srv'",
      }),
    ).toBe("capability.yaml:12: services.server.image: no image named 'srv'");
  });

  it("leaves the field out when there is none", () => {
    expect(
      problemText({ file: "images/server/Dockerfile", line: 3, field: "", message: "builds on 'x'" }),
    ).toBe("images/server/Dockerfile:3: builds on 'x'");
  });
});
