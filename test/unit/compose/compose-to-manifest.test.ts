import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  ComposeError,
  type ComposeImport,
  composeToManifest,
} from "../../../src/cli/compose/compose-to-manifest.js";
import { durationSeconds, memoryMiB, parsePort } from "../../../src/cli/compose/compose-values.js";
import { interpolate } from "../../../src/cli/compose/interpolate.js";
import { parseEnvFile } from "../../../src/cli/compose/parse-env-file.js";
import { ManifestFile } from "../../../src/domain/manifest.js";

const FIXTURES = fileURLToPath(new URL("../../fixtures/compose/", import.meta.url));

interface Options {
  files?: Record<string, string>;
  environ?: Record<string, string | undefined>;
}

/** Imports a compose file (text, or an object written out as YAML) and checks the manifest's schema. */
function run(doc: string | object, options: Options = {}): ComposeImport {
  const result = composeToManifest({
    text: typeof doc === "string" ? doc : stringify(doc),
    fileName: "compose.yaml",
    tenant: "acme",
    env: "prod",
    readFile: (path) => {
      const text = options.files?.[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
    environ: options.environ ?? {},
  });
  expect(ManifestFile.safeParse(result.manifest).error?.issues ?? []).toEqual([]);
  return result;
}

function fixture(name: string, environ: Record<string, string> = {}): ComposeImport {
  return composeToManifest({
    text: readFileSync(join(FIXTURES, name), "utf8"),
    fileName: name,
    tenant: "acme",
    env: "prod",
    readFile: (path) => readFileSync(join(FIXTURES, path), "utf8"),
    environ,
  });
}

function problems(doc: string | object, options: Options = {}): string[] {
  try {
    run(doc, options);
  } catch (error) {
    if (error instanceof ComposeError) return error.problems;
    throw error;
  }
  throw new Error("expected a ComposeError");
}

/** One service `web` (image nginx unless given) plus top-level extras → its app env and the notes. */
function web(service: Record<string, unknown>, options: Options & { top?: Record<string, unknown> } = {}) {
  const result = run({ services: { web: { image: "nginx:1.27", ...service } }, ...options.top }, options);
  const env = result.manifest.apps?.web?.envs?.prod;
  if (!env) throw new Error("no app env for web");
  return { env, resources: env.resources, config: env.config, notes: result.notes, result };
}

function webProblems(
  service: Record<string, unknown>,
  options: Options & { top?: Record<string, unknown> } = {},
) {
  return problems({ services: { web: { image: "nginx:1.27", ...service } }, ...options.top }, options);
}

describe("real-shaped compose files", () => {
  it("web + worker + Redis", () => {
    const result = fixture("web-worker-redis.yml");
    expect(ManifestFile.safeParse(result.manifest).success).toBe(true);
    const config = { REDIS_URL: "redis://redis:6379", DJANGO_SETTINGS_MODULE: "shop.settings.production" };
    expect(result.manifest).toEqual({
      apiVersion: "berth/v1",
      tenant: "acme",
      environments: { prod: {} },
      apps: {
        web: {
          dependsOn: ["redis"],
          envs: {
            prod: {
              image: "ghcr.io/acme/shop-web:1.4.2",
              config: { ...config, GUNICORN_CMD_ARGS: "--bind 0.0.0.0:80 --workers 3" },
              resources: { port: 80, healthCheck: "http", healthPath: "/health/", restart: "unless-stopped" },
            },
          },
        },
        worker: {
          dependsOn: ["redis"],
          envs: {
            prod: {
              image: "ghcr.io/acme/shop-web:1.4.2",
              config,
              resources: { healthCheck: "none", restart: "unless-stopped", command: ["python", "worker.py"] },
            },
          },
        },
        redis: {
          envs: {
            prod: {
              image: "redis:7-alpine",
              resources: {
                healthCheck: "none",
                restart: "unless-stopped",
                volumes: [{ name: "redis-data", path: "/data" }],
              },
            },
          },
        },
      },
    });
    expect(result.builds).toEqual([]);
    expect(result.order).toEqual(["redis", "web", "worker"]);
    expect(result.notes).toEqual([
      "web: depends_on redis (condition service_healthy) → dependsOn: Berth deploys redis first and waits for it to be healthy",
      "web: healthcheck interval, timeout, retries ignored (Berth's probe timing is its own)",
      "web: ports 8080:80 → port 80 (the router publishes it; host port 8080 dropped)",
      "redis: healthcheck interval, timeout, retries ignored (Berth's probe timing is its own)",
      'redis: healthcheck "redis-cli ping" replaced by none (a running container counts as healthy)',
    ]);
  });

  it("an app with a build context, env_file, deploy limits, interpolation and $$", () => {
    const result = fixture("build-context.yml");
    expect(ManifestFile.safeParse(result.manifest).success).toBe(true);
    expect(result.manifest.apps).toEqual({
      api: {
        envs: {
          prod: {
            config: {
              DATABASE_URL: "postgres://shop:secret@db:5432/shop",
              LOG_LEVEL: "info",
              GREETING: "Hello, world",
              RAW_TEMPLATE: "Dear $${name},",
              APP_VERSION: "1.0",
              WORKERS: "4",
              PRICE_NOTE: "prices in $$USD",
            },
            resources: {
              port: 3000,
              healthCheck: "http",
              healthPath: "/healthz",
              healthTimeout: 90,
              replicas: 3,
              cpus: 0.5,
              memoryMb: 512,
              restart: "on-failure",
            },
          },
        },
      },
    });
    expect(result.builds).toEqual([{ app: "api", context: "./build-app", dockerfile: "Dockerfile" }]);
    expect(readFileSync(join(FIXTURES, "build-app", "Dockerfile"), "utf8")).toContain("FROM ");
    expect(result.order).toEqual(["api"]);
    expect(result.notes).toEqual([
      "version ignored (obsolete in the Compose Specification)",
      "name ignored (the apps go to tenant acme)",
      "api: image registry.example.com/shop/api:1.0 and build are both given; the build is used",
      "api: ports 3000:3000 → port 3000 (the router publishes it; host port 3000 dropped)",
    ]);
  });

  it("takes TAG from the environment when it is set", () => {
    const result = fixture("build-context.yml", { TAG: "2.3.1" });
    expect(result.manifest.apps?.api?.envs?.prod?.config?.APP_VERSION).toBe("2.3.1");
    expect(result.notes).toContain(
      "api: image registry.example.com/shop/api:2.3.1 and build are both given; the build is used",
    );
  });

  it("lists every unsupported key of a host-level service at once", () => {
    let error: unknown;
    try {
      fixture("unsupported.yml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ComposeError);
    const problems = (error as ComposeError).problems;
    expect(problems).toEqual([
      "services.vpn.privileged: not supported (tenants get no host privileges)",
      "services.vpn.cap_add: not supported (tenants get no extra capabilities)",
      "services.vpn.network_mode: not supported (every app joins its environment's network)",
      'services.vpn.volumes: "./config:/config": bind mounts are not supported (host mounts are not allowed)',
      'services.vpn.volumes: "/lib/modules:/lib/modules:ro": bind mounts are not supported (host mounts are not allowed)',
      "services.vpn.secrets: not supported (declare secrets in berth.yaml with fromEnv or fromFile)",
      "services.vpn.sysctls: not supported (kernel parameters belong to the host)",
      "services.vpn.deploy.resources.reservations: not supported (reservations arrive with placement on Swarm)",
      "secrets: not supported (declare secrets in berth.yaml with fromEnv or fromFile)",
    ]);
    const message = (error as ComposeError).message.split("\n");
    expect(message[0]).toBe("unsupported.yml cannot be imported:");
    expect(message.slice(1)).toEqual(problems.map((p) => `  ${p}`));
  });
});

describe("interpolation", () => {
  const env: Record<string, string> = { NAME: "shop", EMPTY: "", DOLLAR: "a$b" };
  const lookup = (name: string) => env[name];

  it.each([
    ["plain text", "plain text"],
    ["$$", "$"],
    ["cost: $$5", "cost: $5"],
    ["$NAME-web", "shop-web"],
    ["${NAME}web", "shopweb"],
    ["${MISSING:-fallback}", "fallback"],
    ["${EMPTY:-fallback}", "fallback"],
    ["${NAME:-fallback}", "shop"],
    ["${MISSING-fallback}", "fallback"],
    ["${EMPTY-fallback}", ""],
    ["${NAME:+set}", "set"],
    ["${EMPTY:+set}", ""],
    ["${EMPTY+set}", "set"],
    ["${MISSING+set}", ""],
    ["${MISSING:-${NAME}-default}", "shop-default"],
    ["${MISSING:-$$HOME}", "$HOME"],
    ["${MISSING:-{a}}", "{a}"],
    ["${EMPTY?required}", ""],
    ["$DOLLAR", "a$b"],
  ])("%s → %s", (text, expected) => {
    const result = interpolate(text, lookup);
    expect(result).toEqual({ value: expected, problems: [], unset: [] });
  });

  it("reports required variables, malformed $ and unset variables", () => {
    expect(interpolate("${MISSING:?set MISSING first}", lookup).problems).toEqual([
      "required variable MISSING is missing a value: set MISSING first",
    ]);
    expect(interpolate("${EMPTY:?}", lookup).problems).toEqual([
      "required variable EMPTY is missing a value",
    ]);
    expect(interpolate("${MISSING?}", lookup).problems).toEqual([
      "required variable MISSING is missing a value",
    ]);
    expect(interpolate("price $5", lookup).problems).toEqual([
      'invalid "$" in "price $5": write "$$" for a literal "$"',
    ]);
    expect(interpolate("${NAME", lookup).problems).toEqual(['unterminated "${" in "${NAME"']);
    expect(interpolate("${NAME:x}", lookup).problems).toEqual(['invalid interpolation "${NAME:x}"']);
    expect(interpolate("$A and ${A} and $B", lookup)).toEqual({
      value: " and  and ",
      problems: [],
      unset: ["A", "B"],
    });
  });

  it("applies to every string value of the file, never to keys", () => {
    const { env: appEnv } = web(
      { image: "nginx:${NGINX_TAG:-1.27}", environment: { MODE: "$MODE" }, command: ["echo", "$$HOME"] },
      { environ: { MODE: "fast" } },
    );
    expect(appEnv.image).toBe("nginx:1.27");
    expect(appEnv.resources?.command).toEqual(["echo", "$HOME"]);
    expect(appEnv.config).toEqual({ MODE: "fast" });
    expect(webProblems({ environment: { $NAME: "x" } }, { environ: { NAME: "OK" } })).toEqual([
      `services.web.environment: "$NAME" is not a valid config key (1-128 letters, digits or '_', not starting with a digit)`,
    ]);
  });

  it("makes a required variable a problem naming it, with its path", () => {
    expect(webProblems({ image: "${IMAGE:?set IMAGE to the image to deploy}" })).toEqual([
      "services.web.image: required variable IMAGE is missing a value: set IMAGE to the image to deploy",
    ]);
  });

  it("notes variables that interpolate as empty", () => {
    const { config, notes } = web({ environment: ["GREETING=hello $WHO"] });
    expect(config).toEqual({ GREETING: "hello " });
    expect(notes).toContain(
      "WHO is not set: it was interpolated as an empty string (as docker compose does)",
    );
  });

  it("reads .env next to the compose file, the shell's environment winning", () => {
    const files = { ".env": "TAG=2.0\nREGION=eu\n" };
    const { env, notes } = web({ image: "nginx:${TAG}", environment: ["REGION=${REGION}"] }, { files });
    expect(env.image).toBe("nginx:2.0");
    expect(env.config).toEqual({ REGION: "eu" });
    expect(notes[0]).toBe(".env read for interpolation (2 variables; your environment wins)");
    expect(web({ image: "nginx:${TAG}" }, { files, environ: { TAG: "3.0" } }).env.image).toBe("nginx:3.0");
  });
});

describe("dollar escaping in config values", () => {
  it("writes every $ left after interpolation as $$ (Berth's literal $)", () => {
    const { config } = web(
      {
        environment: { FROM_COMPOSE: "pa$$word", FROM_SHELL: "$SECRET", BRACES: "$${NOT_BERTH}", LIST: null },
      },
      { environ: { SECRET: "x$y${z}", LIST: "$a" } },
    );
    expect(config).toEqual({
      FROM_COMPOSE: "pa$$word",
      FROM_SHELL: "x$$y$${z}",
      BRACES: "$${NOT_BERTH}",
      LIST: "$$a",
    });
  });

  it("escapes env_file values too", () => {
    const files = { "app.env": "SINGLE='${literal}'\nDOUBLE=\"\\$5\"\nPLAIN=a$$b\n" };
    expect(web({ env_file: "app.env" }, { files }).config).toEqual({
      SINGLE: "$${literal}",
      DOUBLE: "$$5",
      PLAIN: "a$$b",
    });
  });
});

describe("env files", () => {
  it("parses KEY=VALUE lines, comments, export, quotes and inline comments", () => {
    const text = [
      "# a comment",
      "",
      "   ",
      "export DATABASE_URL=postgres://db/shop",
      "PLAIN = value with spaces   ",
      "INLINE=value # a comment",
      "HASH=no#comment",
      "EMPTY=",
      "SINGLE='  kept as is \\n ${X} '",
      'DOUBLE="line1\\nline2 \\"quoted\\" \\\\ tab\\t"',
      'MULTI="first',
      'second"',
      "QUOTED_THEN_COMMENT='x' # fine",
      "LAST=1\r",
    ].join("\n");
    const parsed = parseEnvFile(text);
    expect(Object.fromEntries(parsed.values)).toEqual({
      DATABASE_URL: "postgres://db/shop",
      PLAIN: "value with spaces",
      INLINE: "value",
      HASH: "no#comment",
      EMPTY: "",
      SINGLE: "  kept as is \\n ${X} ",
      DOUBLE: 'line1\nline2 "quoted" \\ tab\t',
      MULTI: "first\nsecond",
      QUOTED_THEN_COMMENT: "x",
      LAST: "1",
    });
    expect(parsed.problems).toEqual([]);
  });

  it("interpolates unquoted and double-quoted values from the environment, then earlier lines", () => {
    const lookup = (name: string) => ({ HOST: "db.internal" })[name];
    const parsed = parseEnvFile(
      'PORT_NO=5432\nURL=postgres://${HOST}:${PORT_NO}/x\nQ="${MISSING:-dflt}"\n',
      lookup,
    );
    expect(Object.fromEntries(parsed.values)).toEqual({
      PORT_NO: "5432",
      URL: "postgres://db.internal:5432/x",
      Q: "dflt",
    });
  });

  it("takes bare keys from the environment and reports bad lines by number", () => {
    const parsed = parseEnvFile("FROM_SHELL\nNOT_SET\nnot a line\nA='open\n", (n) =>
      n === "FROM_SHELL" ? "yes" : undefined,
    );
    expect(Object.fromEntries(parsed.values)).toEqual({ FROM_SHELL: "yes" });
    expect(parsed.missing).toEqual(["NOT_SET"]);
    expect(parsed.problems).toEqual(["line 3: expected KEY=VALUE", "line 4: the ' quote is never closed"]);
    expect(parseEnvFile('A="x" y').problems).toEqual(["line 1: unexpected text after the closing quote: y"]);
  });

  it("layers env files in order and environment over them, like compose", () => {
    const files = { "base.env": "A=base\nB=base\nC=base\n", "local.env": "B=local\n" };
    const { config } = web(
      { env_file: ["base.env", { path: "local.env" }], environment: { C: "compose" } },
      { files },
    );
    expect(config).toEqual({ A: "base", B: "local", C: "compose" });
  });

  it("reports a missing env file, unless it is not required", () => {
    expect(webProblems({ env_file: "missing.env" })).toEqual([
      "services.web.env_file: cannot read missing.env: ENOENT: no such file or directory, open 'missing.env'",
    ]);
    const { notes } = web({ env_file: [{ path: "missing.env", required: false }] });
    expect(notes).toContain("web: env_file missing.env skipped (it cannot be read and is not required)");
  });

  it("reports bad lines with the file's name", () => {
    expect(webProblems({ env_file: "bad.env" }, { files: { "bad.env": "OK=1\n!nope\n" } })).toEqual([
      "services.web.env_file: bad.env line 2: expected KEY=VALUE",
    ]);
  });
});

describe("environment", () => {
  it("takes bare list entries and null map values from the environment, noting unset ones", () => {
    const { config, notes } = web(
      { environment: ["FROM_SHELL", "UNSET_ONE", "EMPTY=", "EQ=a=b"] },
      { environ: { FROM_SHELL: "yes" } },
    );
    expect(config).toEqual({ FROM_SHELL: "yes", EMPTY: "", EQ: "a=b" });
    expect(notes).toContain("web: environment UNSET_ONE left out (it is not set in your environment)");
    const map = web({ environment: { FROM_SHELL: null, UNSET_TWO: null } }, { environ: { FROM_SHELL: "1" } });
    expect(map.config).toEqual({ FROM_SHELL: "1" });
    expect(map.notes).toContain("web: environment UNSET_TWO left out (it is not set in your environment)");
  });

  it("turns numbers and booleans into their text", () => {
    expect(web({ environment: { WORKERS: 4, RATIO: 0.25, DEBUG: false } }).config).toEqual({
      WORKERS: "4",
      RATIO: "0.25",
      DEBUG: "false",
    });
  });

  it("refuses keys Berth cannot take; drops PORT when it is the app's port", () => {
    expect(
      webProblems({ environment: { "BAD-KEY": "1", "9LIVES": "1", BERTH_X: "1", PORT: "3000" } }),
    ).toEqual([
      `services.web.environment: "BAD-KEY" is not a valid config key (1-128 letters, digits or '_', not starting with a digit)`,
      `services.web.environment: "9LIVES" is not a valid config key (1-128 letters, digits or '_', not starting with a digit)`,
      "services.web.environment: BERTH_X: BERTH_* variables are set by the platform",
      "services.web.environment: PORT: Berth sets PORT to the app's port (this service has none)",
    ]);
    const { config, notes } = web({ ports: ["3000"], environment: { PORT: 3000, NODE_ENV: "production" } });
    expect(config).toEqual({ NODE_ENV: "production" });
    expect(notes).toContain("web: PORT=3000 left out (Berth sets PORT to the app's port)");
  });
});

describe("ports and expose", () => {
  it.each([["8080:80"], ["80"], ["127.0.0.1:8080:80"], ["8080:80/tcp"], ["[::1]:8080:80"], ["8000-8001:80"]])(
    "%s → port 80, routed",
    (port) => {
      expect(web({ ports: [port] }).resources).toEqual({ port: 80, healthCheck: "http" });
    },
  );

  it("takes numbers and the long form", () => {
    expect(web({ ports: [80] }).resources).toEqual({ port: 80, healthCheck: "http" });
    const { resources, notes } = web({
      ports: [{ target: 80, published: 8080, protocol: "tcp", mode: "host" }],
    });
    expect(resources).toEqual({ port: 80, healthCheck: "http" });
    expect(notes).toContain("web: ports 8080:80 → port 80 (the router publishes it; host port 8080 dropped)");
  });

  it("notes the dropped host port and that / is probed", () => {
    expect(web({ ports: ["80:80", "[::]:80:80"] }).notes).toEqual([
      "web: ports 80:80, [::]:80:80 → port 80 (the router publishes it; host port 80, 80 dropped)",
      "web: no healthcheck: Berth probes GET / on port 80; set healthPath if / does not answer 2xx/3xx",
    ]);
    expect(web({ ports: ["80"] }).notes[0]).toBe("web: ports 80 → port 80 (the router publishes it)");
  });

  it("refuses more than one container port, UDP and malformed entries", () => {
    expect(webProblems({ ports: ["80:80", "443:443"] })).toEqual([
      "services.web.ports: 2 container ports (80, 443); Berth routes one port per app",
    ]);
    expect(webProblems({ ports: ["8000-8001:8000-8001"] })).toEqual([
      "services.web.ports: 2 container ports (8000, 8001); Berth routes one port per app",
    ]);
    expect(webProblems({ ports: ["53:53/udp"] })).toEqual([
      'services.web.ports: "53:53/udp": only TCP ports are supported (udp is not)',
    ]);
    expect(webProblems({ ports: ["http"] })).toEqual([
      'services.web.ports: "http" is not a port mapping such as "8080:80"',
    ]);
    expect(parsePort({ target: 80, published: 8080, extra: 1 })).toBe("extra: not supported");
  });

  it("makes an exposed port an internal tcp-checked app; neither makes a worker", () => {
    const { resources, notes } = web({ expose: ["5432"] });
    expect(resources).toEqual({ port: 5432, healthCheck: "tcp" });
    expect(notes).toContain("web: expose 5432 → port 5432 with a tcp health check (internal: not routed)");
    expect(web({ expose: [6379] }).resources).toEqual({ port: 6379, healthCheck: "tcp" });
    expect(web({}).resources).toEqual({ healthCheck: "none" });
    expect(webProblems({ expose: ["5432", "5433"] })).toEqual([
      "services.web.expose: 2 ports (5432, 5433); an app has one port",
    ]);
  });

  it("prefers ports over expose", () => {
    const { resources, notes } = web({ ports: ["8080:80"], expose: ["80"] });
    expect(resources).toEqual({ port: 80, healthCheck: "http" });
    expect(notes).toContain("web: expose 80 ignored (the port comes from ports)");
  });
});

describe("healthcheck", () => {
  it.each([
    [["CMD", "curl", "-f", "http://localhost/healthz"], "/healthz"],
    [["CMD", "curl", "--fail", "http://127.0.0.1:80/ready?full=1"], "/ready?full=1"],
    [["CMD-SHELL", "curl -fsS http://localhost/api/health || exit 1"], "/api/health"],
    ["wget --spider -q http://localhost/ping", "/ping"],
    [["CMD", "/usr/bin/wget", "-qO-", "http://localhost"], "/"],
  ])("%j → http %s", (test, path) => {
    expect(web({ ports: ["8080:80"], healthcheck: { test } }).resources).toEqual({
      port: 80,
      healthCheck: "http",
      healthPath: path,
    });
  });

  it("takes the port from the URL when there is no ports entry", () => {
    const test = ["CMD", "wget", "-qO-", "http://localhost:3000/healthz"];
    expect(web({ healthcheck: { test } }).resources).toEqual({
      port: 3000,
      healthCheck: "http",
      healthPath: "/healthz",
    });
    expect(web({ expose: ["3000"], healthcheck: { test } }).resources).toEqual({
      port: 3000,
      healthCheck: "http",
      healthPath: "/healthz",
    });
  });

  it("replaces other commands by tcp (with a port) or none, with a note", () => {
    const pg = web({ expose: ["5432"], healthcheck: { test: ["CMD-SHELL", "pg_isready -U postgres"] } });
    expect(pg.resources).toEqual({ port: 5432, healthCheck: "tcp" });
    expect(pg.notes).toContain(
      'web: healthcheck "pg_isready -U postgres" replaced by a tcp check of port 5432',
    );
    const mismatch = web({
      ports: ["8080:8080"],
      healthcheck: { test: "curl -f http://localhost:9090/metrics" },
    });
    expect(mismatch.resources).toEqual({ port: 8080, healthCheck: "tcp" });
    expect(mismatch.notes).toContain(
      'web: healthcheck "curl -f http://localhost:9090/metrics" replaced by a tcp check of port 8080 (it probes port 9090, not the app\'s port 8080)',
    );
    expect(
      web({ ports: ["80"], healthcheck: { test: "curl -f https://localhost/" } }).resources?.healthCheck,
    ).toBe("tcp");
    expect(web({ healthcheck: { test: ["CMD", "celery", "inspect", "ping"] } }).resources).toEqual({
      healthCheck: "none",
    });
  });

  it("turns disable and NONE into none", () => {
    const disabled = web({ ports: ["80"], healthcheck: { disable: true } });
    expect(disabled.resources).toEqual({ port: 80, healthCheck: "none" });
    expect(disabled.notes).toContain("web: healthcheck disabled → healthCheck none (instead of http)");
    expect(web({ ports: ["80"], healthcheck: { test: ["NONE"] } }).resources?.healthCheck).toBe("none");
    expect(
      web({ ports: ["80"], healthcheck: { disable: true, test: "curl http://localhost/" } }).resources,
    ).toEqual({ port: 80, healthCheck: "none" });
  });

  it.each([
    ["30s", 30],
    ["1m30s", 90],
    ["2m", 120],
    ["500ms", 1],
    ["1.5s", 2],
    ["1h", 3600],
  ])("start_period %s → healthTimeout %d", (startPeriod, seconds) => {
    expect(web({ healthcheck: { start_period: startPeriod } }).resources?.healthTimeout).toBe(seconds);
  });

  it("parses compose durations and refuses others", () => {
    expect(durationSeconds("1h2m3s")).toBe(3723);
    expect(durationSeconds("250ms")).toBe(0.25);
    expect(durationSeconds("30")).toBe('"30" is not a duration such as 30s, 1m30s or 2m');
    expect(webProblems({ healthcheck: { start_period: "soon", retries: 3, foo: 1 } })).toEqual([
      'services.web.healthcheck.start_period: "soon" is not a duration such as 30s, 1m30s or 2m',
      "services.web.healthcheck.foo: not supported",
    ]);
    expect(webProblems({ healthcheck: { start_period: "2h" } })).toEqual([
      'services.web.healthcheck.start_period: "2h": Berth waits at most 1h',
    ]);
    expect(webProblems({ healthcheck: { test: ["RUN", "x"] } })).toEqual([
      'services.web.healthcheck.test: test must start with "CMD", "CMD-SHELL" or "NONE"',
    ]);
  });
});

describe("deploy, restart and legacy limits", () => {
  it.each([
    ["512M", 512],
    ["512m", 512],
    ["1g", 1024],
    ["1G", 1024],
    ["256mb", 256],
    ["1GiB", 1024],
    ["1024k", 1],
    ["1.5g", 1536],
    ["100000", 1],
    [536870912, 512],
  ])("memory %s → %d MiB", (memory, mb) => {
    expect(memoryMiB(memory)).toBe(mb);
    if (mb >= 6) expect(web({ deploy: { resources: { limits: { memory } } } }).resources?.memoryMb).toBe(mb);
  });

  it("maps replicas, cpus and restart_policy", () => {
    const deploy = { replicas: 2, resources: { limits: { cpus: "0.5", memory: "1g" } }, restart_policy: {} };
    expect(web({ deploy }).resources).toEqual({
      healthCheck: "none",
      replicas: 2,
      cpus: 0.5,
      memoryMb: 1024,
      restart: "always",
    });
    expect(web({ deploy: { resources: { limits: { cpus: 2 } } } }).resources?.cpus).toBe(2);
    expect(web({ cpus: 1.5, mem_limit: "256m", scale: 4 }).resources).toEqual({
      healthCheck: "none",
      replicas: 4,
      cpus: 1.5,
      memoryMb: 256,
    });
  });

  it.each([
    ["none", "no"],
    ["on-failure", "on-failure"],
    ["any", "always"],
  ])("restart_policy.condition %s → restart %s", (condition, restart) => {
    expect(web({ deploy: { restart_policy: { condition } } }).resources?.restart).toBe(restart);
  });

  it.each([
    ["no", "no"],
    ["always", "always"],
    ["on-failure", "on-failure"],
    ["unless-stopped", "unless-stopped"],
  ])("restart %s", (value, restart) => {
    expect(web({ restart: value }).resources?.restart).toBe(restart);
  });

  it("notes what is mapped loosely", () => {
    expect(web({ restart: "on-failure:5" }).notes).toContain(
      "web: restart on-failure:5 → on-failure (Berth does not limit the retries)",
    );
    const { notes } = web({
      deploy: { mode: "replicated", restart_policy: { condition: "any", max_attempts: 3 } },
    });
    expect(notes).toEqual([
      "web: deploy.mode replicated ignored (it is the default)",
      "web: deploy.restart_policy.max_attempts ignored (Docker's restart policy decides)",
    ]);
  });

  it("refuses reservations, other deploy keys and bad values", () => {
    expect(
      webProblems({
        restart: "sometimes",
        deploy: {
          replicas: 1000,
          mode: "global",
          placement: { constraints: ["node.role == manager"] },
          update_config: { parallelism: 1 },
          resources: { limits: { cpus: "lots", memory: "2M", pids: 100 }, reservations: { cpus: "0.25" } },
          restart_policy: { condition: "sometimes" },
        },
      }),
    ).toEqual([
      'services.web.restart: "sometimes" is not no, always, on-failure or unless-stopped',
      "services.web.deploy.replicas: 1000: expected a whole number from 0 to 100",
      "services.web.deploy.mode: not supported",
      "services.web.deploy.placement: not supported",
      "services.web.deploy.update_config: not supported",
      'services.web.deploy.resources.limits.cpus: "lots" is not a CPU count such as 0.5 or 2',
      'services.web.deploy.resources.limits.memory: "2M": Berth allows 6 MiB to 4 TiB',
      "services.web.deploy.resources.limits.pids: not supported",
      "services.web.deploy.resources.reservations: not supported (reservations arrive with placement on Swarm)",
      'services.web.deploy.restart_policy.condition: "sometimes" is not none, on-failure or any',
    ]);
  });

  it("refuses two keys that disagree", () => {
    expect(
      webProblems({ restart: "always", deploy: { restart_policy: { condition: "on-failure" } } }),
    ).toEqual(["services.web.deploy.restart_policy.condition: conflicts with services.web.restart"]);
    expect(
      web({ restart: "always", deploy: { restart_policy: { condition: "any" } } }).resources?.restart,
    ).toBe("always");
  });
});

describe("command and entrypoint", () => {
  it("takes a list, or a plain string split on whitespace", () => {
    expect(web({ command: ["gunicorn", "-w", 4, "app:app"] }).resources?.command).toEqual([
      "gunicorn",
      "-w",
      "4",
      "app:app",
    ]);
    expect(web({ command: "  npm   run start " }).resources?.command).toEqual(["npm", "run", "start"]);
  });

  it("asks for the list form when a string would need a shell, and refuses entrypoint", () => {
    expect(
      webProblems({ command: 'sh -c "echo hi"', entrypoint: ["/docker-entrypoint.sh"] }).map(
        (p) => p.split(":")[0],
      ),
    ).toEqual(["services.web.command", "services.web.entrypoint"]);
    expect(webProblems({ command: "echo $$HOME" })).toEqual([
      'services.web.command: "echo $HOME": write it as a list, e.g. ["sh", "-c", "..."] (a string with quotes, backslashes or $ is not split)',
    ]);
    expect(webProblems({ command: [] })).toEqual([
      "services.web.command: expected a list of 1 to 64 strings",
    ]);
  });
});

describe("volumes", () => {
  const top = { volumes: { data: null, cache: {} } };

  it("mounts declared named volumes, short and long form", () => {
    const { resources } = web(
      {
        volumes: [
          "data:/var/lib/data",
          "cache:/cache:rw",
          { type: "volume", source: "data", target: "/backup" },
        ],
      },
      { top },
    );
    expect(resources?.volumes).toEqual([
      { name: "data", path: "/var/lib/data" },
      { name: "cache", path: "/cache" },
      { name: "data", path: "/backup" },
    ]);
  });

  it("notes declared volumes nobody mounts", () => {
    expect(web({ volumes: ["data:/data"] }, { top }).notes).toContain(
      "volumes.cache ignored (no service mounts it)",
    );
  });

  it("refuses host mounts, read-only, anonymous and undeclared volumes", () => {
    expect(
      webProblems(
        {
          volumes: [
            "./html:/usr/share/nginx/html",
            "/var/run/docker.sock:/var/run/docker.sock",
            "~/certs:/certs",
            { type: "bind", source: "./conf", target: "/etc/nginx/conf.d" },
            { type: "tmpfs", target: "/tmp" },
            "/data",
            "data:/ro:ro",
            { type: "volume", source: "data", target: "/ro2", read_only: true },
            "undeclared:/x",
            "data:relative",
          ],
        },
        { top },
      ),
    ).toEqual([
      'services.web.volumes: "./html:/usr/share/nginx/html": bind mounts are not supported (host mounts are not allowed)',
      'services.web.volumes: "/var/run/docker.sock:/var/run/docker.sock": bind mounts are not supported (host mounts are not allowed)',
      'services.web.volumes: "~/certs:/certs": bind mounts are not supported (host mounts are not allowed)',
      'services.web.volumes: {"type":"bind","source":"./conf","target":"/etc/nginx/conf.d"}: bind mounts are not supported (host mounts are not allowed)',
      'services.web.volumes: {"type":"tmpfs","target":"/tmp"}: tmpfs mounts are not supported',
      'services.web.volumes: "/data": anonymous volumes are not supported; name the volume and declare it in the top-level volumes',
      'services.web.volumes: "data:/ro:ro": read-only mounts are not supported (Berth mounts volumes read-write)',
      'services.web.volumes: {"type":"volume","source":"data","target":"/ro2","read_only":true}: read-only mounts are not supported (Berth mounts volumes read-write)',
      'services.web.volumes: "undeclared:/x": volume "undeclared" is not declared in the top-level volumes',
      'services.web.volumes: "data:relative": "relative" must be an absolute path of letters, digits and . _ @ + -',
    ]);
  });

  it("refuses top-level volume settings and names that are not DNS labels", () => {
    const volumes = {
      db_data: null,
      ext: { external: true },
      nfs: { driver: "local", driver_opts: { type: "nfs" }, labels: { team: "shop" } },
    };
    expect(webProblems({ volumes: ["db_data:/var/lib/postgresql/data"] }, { top: { volumes } })).toEqual([
      `volumes.db_data: "db_data" is not a valid volume name (a DNS label: 1-63 lower-case letters, digits or '-'); rename the volume, e.g. to "db-data"`,
      "volumes.ext.external: not supported (Berth creates the environment's volumes itself)",
      "volumes.nfs.driver: not supported (Berth creates the environment's volumes itself)",
      "volumes.nfs.driver_opts: not supported (Berth creates the environment's volumes itself)",
    ]);
  });
});

describe("build", () => {
  it("takes a context string or { context, dockerfile } and sets no image", () => {
    const short = run({ services: { web: { build: "." } } });
    expect(short.builds).toEqual([{ app: "web", context: "." }]);
    expect(short.manifest.apps?.web?.envs?.prod?.image).toBeUndefined();
    const long = run({ services: { api: { build: { context: "./api", dockerfile: "Dockerfile.prod" } } } });
    expect(long.builds).toEqual([{ app: "api", context: "./api", dockerfile: "Dockerfile.prod" }]);
    expect(run({ services: { api: { build: { dockerfile: "Dockerfile" } } } }).builds).toEqual([
      { app: "api", context: ".", dockerfile: "Dockerfile" },
    ]);
  });

  it("refuses other build keys, remote contexts and services with neither image nor build", () => {
    expect(
      problems({
        services: {
          api: { build: { context: ".", args: { NODE_ENV: "production" }, target: "prod" } },
          remote: { build: "https://github.com/acme/shop.git#main" },
          nothing: { restart: "always" },
        },
      }),
    ).toEqual([
      "services.api.build.args: not supported (Berth builds from the context and Dockerfile alone)",
      "services.api.build.target: not supported (Berth builds from the context and Dockerfile alone)",
      'services.remote.build.context: "https://github.com/acme/shop.git#main": remote build contexts are not supported',
      "services.remote: needs an image or a build",
      "services.nothing: needs an image or a build",
    ]);
  });
});

describe("depends_on and order", () => {
  it("orders dependencies first, in the file's order otherwise", () => {
    const result = run({
      services: {
        web: { image: "web:1", depends_on: { api: { condition: "service_started" } } },
        api: { image: "api:1", depends_on: ["db", "cache"] },
        cache: { image: "redis:7" },
        db: { image: "postgres:16" },
        admin: { image: "admin:1", depends_on: ["db"] },
      },
    });
    expect(result.order).toEqual(["db", "cache", "api", "web", "admin"]);
    expect(result.manifest.apps?.api?.dependsOn).toEqual(["db", "cache"]);
    expect(result.manifest.apps?.db?.dependsOn).toBeUndefined();
    expect(result.notes).toContain(
      "web: depends_on api (condition service_started) → dependsOn: Berth deploys api first and waits for it to be healthy",
    );
  });

  it("refuses unknown services and cycles", () => {
    expect(
      problems({
        services: {
          a: { image: "a:1", depends_on: ["b"] },
          b: { image: "b:1", depends_on: ["c"] },
          c: { image: "c:1", depends_on: ["a", "ghost"] },
          d: { image: "d:1", depends_on: ["d"] },
        },
      }),
    ).toEqual([
      'services.c.depends_on: unknown service "ghost"',
      "services.a.depends_on: a cycle: a → b → c → a",
      "services.d.depends_on: a cycle: d → d",
    ]);
  });
});

describe("names", () => {
  it("refuses service names that are not DNS labels, suggesting one", () => {
    expect(problems({ services: { my_web: { image: "nginx" }, Admin: { image: "admin" } } })).toEqual([
      `services.my_web: "my_web" is not a valid app name (a DNS label: 1-63 lower-case letters, digits or '-'); rename the service, e.g. to "my-web"`,
      `services.Admin: "Admin" is not a valid app name (a DNS label: 1-63 lower-case letters, digits or '-'); rename the service, e.g. to "admin"`,
    ]);
  });

  it("checks the tenant and environment too", () => {
    expect(() =>
      composeToManifest({
        text: "services: { web: { image: nginx } }",
        fileName: "compose.yaml",
        tenant: "Acme",
        env: "prod_1",
        readFile: () => {
          throw new Error("no");
        },
        environ: {},
      }),
    ).toThrow(/tenant: "Acme" is not a DNS label\n {2}environment: "prod_1" is not a DNS label/);
  });
});

describe("ignored and unsupported keys", () => {
  it("notes harmless keys", () => {
    const { notes } = web(
      {
        container_name: "shop-web",
        hostname: "web",
        labels: { "traefik.enable": "true" },
        logging: { driver: "json-file" },
        stdin_open: true,
        tty: true,
        init: true,
        stop_grace_period: "30s",
        stop_signal: "SIGQUIT",
        networks: ["default"],
        "x-team": "shop",
      },
      { top: { version: "3", "x-defaults": { restart: "always" }, networks: { default: null } } },
    );
    expect(notes).toEqual([
      "version ignored (obsolete in the Compose Specification)",
      "x-defaults ignored (an extension field)",
      "networks.default ignored (every app joins its environment's network)",
      "web: container_name ignored (Berth names the containers)",
      "web: hostname ignored (apps reach each other by app name)",
      "web: labels ignored (Berth labels its containers itself)",
      "web: logging ignored (Berth keeps the engine's logging)",
      "web: stdin_open ignored (apps run detached)",
      "web: tty ignored (apps run detached)",
      "web: init ignored (Berth runs the image as it is)",
      "web: stop_grace_period ignored (Berth stops containers its own way)",
      "web: stop_signal ignored (Berth stops containers its own way)",
      "web: networks ignored (every app joins its environment's network)",
      "web: x-team ignored (an extension field)",
    ]);
  });

  it("resolves YAML anchors and merge keys", () => {
    const text = [
      "x-common: &common",
      "  restart: always",
      "  environment:",
      "    LOG_LEVEL: info",
      "services:",
      "  web:",
      "    <<: *common",
      "    image: nginx:1.27",
    ].join("\n");
    const result = run(text);
    expect(result.manifest.apps?.web?.envs?.prod).toEqual({
      image: "nginx:1.27",
      config: { LOG_LEVEL: "info" },
      resources: { healthCheck: "none", restart: "always" },
    });
  });

  it("refuses every other key, at service and top level, all at once", () => {
    expect(
      problems({
        services: {
          web: {
            image: "nginx",
            user: "1000:1000",
            devices: ["/dev/fuse"],
            extra_hosts: ["host.docker.internal:host-gateway"],
            dns: ["1.1.1.1"],
            links: ["db"],
            profiles: ["debug"],
            networks: ["frontend"],
            frobnicate: true,
          },
          db: { image: "postgres:16", pid: "host", ulimits: { nofile: 65536 }, configs: ["pg_conf"] },
        },
        networks: { frontend: { driver: "bridge" } },
        configs: { pg_conf: { file: "./pg.conf" } },
        include: ["other.yaml"],
        extensions: {},
      }),
    ).toEqual([
      "services.web.user: not supported (set USER in the image)",
      "services.web.devices: not supported (host devices are not allowed)",
      "services.web.extra_hosts: not supported (apps reach each other by app name)",
      "services.web.dns: not supported",
      "services.web.links: not supported (apps reach each other by app name)",
      "services.web.profiles: not supported (import only the services you want)",
      "services.web.networks: not supported (every app joins its environment's network)",
      "services.web.frobnicate: not supported",
      "services.db.pid: not supported (host namespaces are not allowed)",
      "services.db.ulimits: not supported",
      "services.db.configs: not supported (declare config files under files in berth.yaml)",
      "networks.frontend: not supported (every app joins its environment's network)",
      "configs: not supported (declare config files under files in berth.yaml)",
      "include: not supported (import each compose file on its own)",
      "extensions: not supported",
    ]);
  });
});

describe("malformed files", () => {
  it.each([
    ["services:\n  web:\n    image: [nginx\n", /^compose\.yaml: .*at line/],
    ["services:\n  web: {}\n  web: {}\n", /^compose\.yaml: Map keys must be unique at line 3, column 3$/],
    ["- just\n- a list\n", /^compose\.yaml: expected a mapping with services$/],
    ["", /^compose\.yaml: expected a mapping with services$/],
  ])("%j", (text, problem) => {
    const found = problems(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(problem);
  });

  it("refuses missing, empty or malformed services", () => {
    expect(problems({ version: "3" })).toEqual(["services: missing: there is nothing to import"]);
    expect(problems({ services: {} })).toEqual(["services: expected a mapping of services"]);
    expect(problems({ services: ["web"] })).toEqual(["services: expected a mapping of services"]);
    expect(problems({ services: { web: null, api: "nginx" } })).toEqual([
      "services.web: expected a mapping",
      "services.api: expected a mapping",
    ]);
  });
});
