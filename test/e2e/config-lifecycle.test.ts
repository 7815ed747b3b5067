import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envApp } from "../support/app-fixture.js";
import { BerthProcess } from "../support/berth-process.js";
import { getViaRouter } from "../support/http-via-router.js";

/**
 * Issue 4 as a user lives it, through the real CLI, dockerd, nginx and SQLite: config per
 * environment seen from inside the containers, secrets, files, promotion, rollback, key
 * rotation, manifests and compose import.
 */
describe("config, secrets and releases end to end", () => {
  const tenant = `cfg${Date.now().toString(36)}`;
  const SECRET = `s3cr3t-${Date.now().toString(36)}-Zq`;
  let berth: BerthProcess;
  let app: string;
  let work: string;
  const docker = new Docker();

  const t = (args: string[]) => [...args, "--tenant", tenant];
  const envOf = async (env: string) => {
    const r = await getViaRouter(berth.routerPort, `web.${env}.${tenant}.localhost`, "/cgi-bin/env");
    expect(r.status).toBe(200);
    return Object.fromEntries(
      r.body
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
  };
  const releases = async (env: string) =>
    JSON.parse(await berth.ok(t(["releases", "web", "--env", env, "--json"]))) as {
      number: number;
      imageId: string;
      source: string;
      changes: string;
      promotedFrom: string | null;
    }[];

  beforeAll(async () => {
    berth = await BerthProcess.start({ drainMs: 200 });
    app = envApp();
    work = mkdtempSync(join(tmpdir(), "berth-cfg-"));
    await berth.ok(["tenant", "create", tenant]);
    for (const env of ["dev", "test"]) await berth.ok(t(["env", "create", env]));
    await berth.ok(t(["app", "create", "web"]));
    await berth.ok(t(["deploy", "web", "--env", "dev", "--path", app, "--health-path", "/healthz"]));
  });

  afterAll(async () => {
    await berth?.destroy();
    for (const dir of [app, work]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("config set per environment, with facts and limits, is what the container sees", async () => {
    await berth.ok(
      t(["config", "set", "web", "JAVA_OPTS=-Xms${BERTH_MEMORY_MB / 2}m -Xmx${BERTH_MEMORY_MB * 3 / 4}m"]),
    );
    await berth.ok(
      t(["config", "set", "web", "--env", "dev", "LEVEL=debug", "WHERE=${BERTH_ENV}-${BERTH_APP}"]),
    );
    await berth.ok(t(["config", "set", "web", "--env", "test", "LEVEL=warn"]));
    await berth.ok(t(["resources", "set", "web", "--env", "dev", "--memory", "1g", "--cpus", "0.5"]));
    const env = await envOf("dev");
    expect(env).toMatchObject({
      JAVA_OPTS: "-Xms512m -Xmx768m",
      LEVEL: "debug",
      WHERE: "dev-web",
      BERTH_MEMORY_MB: "1024",
      BERTH_CPUS: "0.5",
    });
    const [c] = await docker.listContainers({
      filters: { label: [`berth.tenant=${tenant}`, "berth.env=dev"] },
    });
    const info = await docker.getContainer(c?.Id as string).inspect();
    expect(info.HostConfig.Memory).toBe(1024 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);

    const listed = await berth.ok(t(["config", "list", "web", "--env", "dev"]));
    expect(listed).toMatch(/JAVA_OPTS\s+-Xms\$\{BERTH_MEMORY_MB \/ 2\}m.*\s+app\s+-Xms512m -Xmx768m/);
    expect(listed).toMatch(/LEVEL\s+debug\s+app-env\s+debug/);
    const [latest] = await releases("dev");
    expect(latest?.changes).toMatch(/cpus none→0.5, memoryMb none→1024/);
  });

  it("secrets from stdin are masked, mounted files are rendered read-only, and no file holds a secret", async () => {
    const set = await berth.cli(t(["secret", "set", "web", "--env", "dev", "DB_PASSWORD", "--stdin"]), {
      input: `${SECRET}\n`,
    });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout + set.stderr).not.toContain(SECRET);
    const props = join(work, "application.properties");
    writeFileSync(props, "db.password=${DB_PASSWORD}\nheap=${BERTH_MEMORY_MB}\n");
    await berth.ok(
      t([
        "config",
        "file",
        "web",
        "--env",
        "dev",
        "--path",
        "/app/config/application.properties",
        "--from",
        props,
      ]),
    );
    expect((await envOf("dev")).DB_PASSWORD).toBe(SECRET);
    const file = await getViaRouter(berth.routerPort, `web.dev.${tenant}.localhost`, "/cgi-bin/file");
    expect(file.body).toBe(`db.password=${SECRET}\nheap=1024\n`);
    const write = await getViaRouter(berth.routerPort, `web.dev.${tenant}.localhost`, "/cgi-bin/write");
    expect(write.body).toMatch(/Read-only file system[\s\S]*refused/);

    const masked = await berth.ok(t(["config", "list", "web", "--env", "dev"]));
    expect(masked).toMatch(/DB_PASSWORD\s+\*{6}\s+app-env \(secret\)/);
    expect(masked).not.toContain(SECRET);
    const events = await berth.ok(t(["events", "web", "--env", "dev", "--tail", "1000"]));
    expect(events).not.toContain(SECRET);
    const exported = await berth.ok(t(["export"]));
    expect(exported).toContain("DB_PASSWORD: keep");
    expect(exported).not.toContain(SECRET);

    const backup = join(work, "backup.db");
    await berth.ok(["admin", "backup", "-o", backup]);
    for (const f of [backup, ...["berth.db", "berth.db-wal"].map((n) => join(berth.dataDir, n))]) {
      const bytes = readFileSync(f);
      expect(bytes.includes(Buffer.from(SECRET)), `${f} holds the secret`).toBe(false);
    }
    const log = berth.log();
    expect(log).toContain("berth server ready");
    expect(log).not.toContain(SECRET);
  });

  it("promote dev → test runs the same image by digest with test's own config", async () => {
    const [dev] = await releases("dev");
    const out = await berth.ok(t(["promote", "web", "--from", "dev", "--to", "test"]));
    expect(out).toMatch(/release 1 is live/);
    const [promoted] = await releases("test");
    expect(promoted).toMatchObject({
      imageId: dev?.imageId,
      source: "promotion",
      promotedFrom: `dev#${dev?.number}`,
    });
    const env = await envOf("test");
    expect(env).toMatchObject({ LEVEL: "warn", JAVA_OPTS: expect.stringMatching(/^-Xms\d+m -Xmx\d+m$/) });
    expect(env.DB_PASSWORD).toBeUndefined();
    expect(env.JAVA_OPTS).not.toBe("-Xms512m -Xmx768m");
  });

  it("rollback brings back the old config; diff shows what the layers would change", async () => {
    const [before] = await releases("dev");
    await berth.ok(t(["config", "set", "web", "--env", "dev", "LEVEL=trace"]));
    expect((await envOf("dev")).LEVEL).toBe("trace");
    await berth.ok(t(["rollback", "web", "--env", "dev", "--to", String(before?.number)]));
    expect((await envOf("dev")).LEVEL).toBe("debug");
    expect((await envOf("dev")).DB_PASSWORD).toBe(SECRET);
    const diff = await berth.ok(t(["config", "diff", "web", "--env", "dev"]));
    expect(diff).toContain("- LEVEL=debug\n+ LEVEL=trace");
  });

  it("rotating the key keeps every secret readable, in the API and in new containers", async () => {
    const rotated = await berth.ok(["admin", "rotate-key", "--prune"]);
    expect(rotated).toMatch(/Re-sealed 1 secret\(s\), \d+ release\(s\)/);
    const shown = await berth.ok(
      t(["config", "get", "web", "DB_PASSWORD", "--env", "dev", "--show-secrets"]),
    );
    expect(shown.trim()).toBe(SECRET);
    await berth.ok(t(["redeploy", "web", "--env", "dev"]));
    expect((await envOf("dev")).DB_PASSWORD).toBe(SECRET);
    expect(readFileSync(join(berth.dataDir, "keyring"), "utf8").trim().split("\n")).toHaveLength(2);
  });

  it("export then apply changes nothing; a bad manifest names file, line and field", async () => {
    const file = join(work, "berth.yaml");
    await berth.ok(t(["export", "-o", file]));
    expect(await berth.ok(["apply", "-f", file])).toContain("nothing to change");
    expect(await berth.ok(["apply", "-f", file, "--dry-run"])).toContain("nothing to change");
    const before = await releases("dev");
    const routes = join(work, "routes.yaml");
    writeFileSync(
      routes,
      `apiVersion: berth/v1\ntenant: ${tenant}\napps:\n  web:\n    envs:\n      dev:\n        routes:\n          - host: www.${tenant}.example\n`,
    );
    expect(await berth.ok(["apply", "-f", routes])).toMatch(/add route\s+web\/dev\s+www\./);
    const viaRoute = await getViaRouter(berth.routerPort, `www.${tenant}.example`, "/cgi-bin/env");
    expect(viaRoute.body).toContain("BERTH_APP=web");
    expect(await berth.ok(["apply", "-f", routes])).toContain("nothing to change");
    expect(await releases("dev")).toEqual(before);
    writeFileSync(
      join(work, "bad.yaml"),
      `apiVersion: berth/v1\ntenant: ${tenant}\napps:\n  web:\n    envs:\n      dev:\n        resources:\n          memoryMb: lots\n        config:\n          bad-key: 1\n`,
    );
    const bad = await berth.cli(["apply", "-f", join(work, "bad.yaml")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.yaml:8: apps\.web\.envs\.dev\.resources\.memoryMb: .*number/);
    expect(bad.stderr).toMatch(/bad\.yaml:10: apps\.web\.envs\.dev\.config\.bad-key: config keys are/);
    expect(await releases("dev")).toEqual(before);
  });

  it("hostile expressions are refused with the key named, and change nothing", async () => {
    const before = await releases("dev");
    for (const [value, why] of [
      [`\${${"(".repeat(5000)}1${")".repeat(5000)}}`, /X:/],
      ["${A}", /X refers to A/],
      ["${X}", /X refers to itself/],
      ["${1 / 0}", /X:.*zero/],
      ["${exec('id')}", /X:/],
      ["${99999999999 * 99999999999}", /X:.*too large/],
    ] as const) {
      const r = await berth.cli(t(["config", "set", "web", "--env", "dev", `X=${value}`]));
      expect(r.code, value.slice(0, 40)).toBe(1);
      expect(r.stderr).toMatch(why);
    }
    expect(await releases("dev")).toEqual(before);
  });

  it("imports a compose file: build, worker by name, internal cache with a volume", async () => {
    const dir = join(work, "shop");
    cpSync(app, join(dir, "web"), { recursive: true });
    writeFileSync(
      join(dir, "docker-compose.yml"),
      [
        "services:",
        "  web:",
        "    build: ./web",
        '    ports: ["8080:8080"]',
        "    environment:",
        "      CACHE_URL: tcp://cache:6379",
        "    healthcheck:",
        '      test: ["CMD", "wget", "-qO-", "http://localhost:8080/healthz"]',
        "    depends_on: [cache]",
        "  worker:",
        "    image: berth/busybox:latest",
        '    command: ["sh", "-c", "while true; do wget -qO- http://web:8080/ && echo polled; sleep 1; done"]',
        "    depends_on: [web]",
        "  cache:",
        "    image: berth/busybox:latest",
        '    command: ["httpd", "-f", "-p", "6379", "-h", "/data"]',
        '    expose: ["6379"]',
        '    volumes: ["cache-data:/data"]',
        "volumes:",
        "  cache-data:",
        "",
      ].join("\n"),
    );
    const out = await berth.ok([
      "import",
      "compose",
      join(dir, "docker-compose.yml"),
      "--tenant",
      tenant,
      "--env",
      "test",
    ]);
    expect(out).toMatch(
      /cache release 1 is live in test[\s\S]*web release 2 is live in test[\s\S]*worker release 1/,
    );
    expect((await envOf("test")).CACHE_URL).toBe("tcp://cache:6379");
    const deadline = Date.now() + 15_000;
    let logs = "";
    while (Date.now() < deadline && !logs.includes("polled")) {
      logs = await berth.ok(t(["logs", "worker", "--env", "test"]));
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(logs).toContain("env app");
    expect(logs).toContain("polled");
    const volumes =
      (await docker.listVolumes({ filters: { label: [`berth.tenant=${tenant}`] } })).Volumes ?? [];
    expect(volumes.map((v) => v.Name).some((n) => n.endsWith(".test.vol.cache-data"))).toBe(true);

    writeFileSync(
      join(dir, "bad-compose.yml"),
      "services:\n  web:\n    image: berth/busybox:latest\n    privileged: true\n    volumes: ['/:/host']\n",
    );
    const bad = await berth.cli([
      "import",
      "compose",
      join(dir, "bad-compose.yml"),
      "--tenant",
      tenant,
      "--env",
      "dev",
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/privileged/);
    expect(bad.stderr).toMatch(/host/);
  });
});
