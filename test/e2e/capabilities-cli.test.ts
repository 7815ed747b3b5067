import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthProcess } from "../support/berth-process.js";
import { getViaRouter } from "../support/http-via-router.js";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A busybox app whose CGI talks to a bound Redis with its binding's own files (RESP over nc). */
function redisClientApp(): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-bindapp-"));
  mkdirSync(join(dir, "www", "cgi-bin"), { recursive: true });
  writeFileSync(join(dir, "www", "healthz"), "ok\n");
  const cgi = (name: string, body: string) => {
    const file = join(dir, "www", "cgi-bin", name);
    writeFileSync(file, `#!/bin/sh\necho "Content-Type: text/plain"\necho ""\n${body}\n`);
    chmodSync(file, 0o755);
  };
  const b = "$SERVICE_BINDING_ROOT/cache";
  cgi(
    "redis",
    `printf 'AUTH %s %s\\r\\n%s\\r\\nQUIT\\r\\n' "$(cat ${b}/username)" "$(cat ${b}/password)" "$QUERY_STRING" | sed 's/+/ /g' | nc "$(cat ${b}/host)" "$(cat ${b}/port)" | tr -d '\\r'`,
  );
  cgi(
    "files",
    `ls ${b} 2>&1; echo "type=$(cat ${b}/type 2>&1)"; echo "url=\${REDIS_URL%%:*}"; (echo x > ${b}/password) 2>&1 | head -1`,
  );
  writeFileSync(
    join(dir, "Dockerfile"),
    [
      "FROM berth/busybox:latest",
      "COPY www /www",
      "EXPOSE 8080",
      'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]',
      "",
    ].join("\n"),
  );
  return dir;
}

/** A module of a service Berth has never seen, written here as a platform team would. */
function memoModule(options: { from?: string; privileged?: boolean; crash?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-module-"));
  mkdirSync(join(dir, "image"), { recursive: true });
  writeFileSync(
    join(dir, "capability.yaml"),
    [
      "apiVersion: berth.dev/capability/v1",
      "id: memo",
      "title: Memo",
      "description: A tiny HTTP store, written inside a Berth test",
      "version: 0.1.0",
      'serviceVersion: "1"',
      "maturity: experimental",
      "plans:",
      "  tiny: {cpus: 0.1, memoryMb: 32, default: true}",
      "parameters:",
      "  create:",
      "    type: object",
      "    additionalProperties: false",
      "    properties:",
      "      greeting: {type: string, maxLength: 20, default: hello}",
      "images:",
      "  web: {context: image}",
      "services:",
      "  server:",
      "    image: web",
      "    port: 8080",
      "    env:",
      "      GREETING: ${PARAM_GREETING}",
      "    volumes:",
      "      - {name: data, path: /data}",
      ...(options.crash ? ["    startTimeout: 5"] : []),
      "    ready:",
      "      command: {command: [sh, -c, 'busybox wget -q -O- http://$SERVICE_HOST:$SERVICE_PORT/ready']}",
      ...(options.privileged ? ["    privileged: true"] : []),
      "binding:",
      "  type: memo",
      "  service: server",
      "  credentials:",
      "    host: ${HOST}",
      "    port: ${PORT}",
      "    uri: http://${HOST}:${PORT}/",
      "  env:",
      "    MEMO_URL: ${CREDENTIAL_URI}",
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "image", "Dockerfile"),
    [
      `FROM ${options.from ?? "berth/debian:bookworm"}`,
      "RUN apt-get update && apt-get install -y --no-install-recommends busybox && rm -rf /var/lib/apt/lists/*",
      "RUN mkdir -p /data /www",
      options.crash
        ? 'CMD ["sh", "-c", "echo memo cannot start >&2; exit 3"]'
        : 'CMD ["sh", "-c", "echo \\"$GREETING\\" > /www/ready && exec busybox httpd -f -p 8080 -h /www"]',
      "",
    ].join("\n"),
  );
  return dir;
}

describe("capability plug-ins through the CLI: catalog, services, bindings", () => {
  let berth: BerthProcess;
  const docker = new Docker();
  const host = "web.dev.acme.localhost";
  const redisVia = async (command: string) =>
    (await getViaRouter(berth.routerPort, host, `/cgi-bin/redis?${command.replace(/ /g, "+")}`)).body;

  beforeAll(async () => {
    berth = await BerthProcess.start({ drainMs: 200 });
    await berth.ok(["tenant", "create", "acme"]);
    await berth.ok(["env", "create", "dev", "--tenant", "acme"]);
    await berth.ok(["use", "--tenant", "acme", "--env", "dev"]);
    await berth.ok(["app", "create", "web"]);
    await berth.ok(["deploy", "web", "--path", redisClientApp(), "--health-path", "/healthz"]);
  }, 120_000);
  afterAll(async () => {
    await berth?.destroy();
  });

  it("lists the modules that ship with Berth, and shows one in full", async () => {
    const list = JSON.parse(await berth.ok(["catalog", "list", "--json"])) as { capability: string }[];
    expect(list.map((e) => e.capability)).toEqual(expect.arrayContaining(["postgresql", "redis"]));
    const shown = await berth.ok(["catalog", "show", "redis"]);
    expect(shown).toMatch(/plans:\n {2}small \(default\): 0\.5 CPU, 256 MiB/);
    expect(shown).toMatch(/maxmemory_policy: string one of noeviction\|allkeys-lru/);
    expect(shown).toMatch(
      /binding: type redis; files type, provider, host, port, username, password, uri; env REDIS_URL/,
    );
  });

  it("refuses bad parameters with one sentence, and creates nothing", async () => {
    const r = await berth.cli([
      "service",
      "create",
      "cache",
      "--capability",
      "redis",
      "--param",
      "maxmemory_policy=lots",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/parameter maxmemory_policy must be one of "noeviction", "allkeys-lru"/);
    const other = await berth.cli([
      "service",
      "create",
      "cache",
      "--capability",
      "redis",
      "--param",
      "color=red",
    ]);
    expect(other.stderr).toMatch(/parameter color is not a parameter of it/);
    const plan = await berth.cli(["service", "create", "cache", "--capability", "redis", "--plan", "huge"]);
    expect(plan.stderr).toMatch(/redis has no plan 'huge' \(plans: small, large\)/);
    const key = await berth.cli(["service", "create", "cache", "--capability", "redis", "--param", "Max=1"]);
    expect(key.stderr).toMatch(/parameter names are lower-case letters, digits or '_'/);
    const long = await berth.cli(["service", "create", "a".repeat(60), "--capability", "redis"]);
    expect(long.stderr).toMatch(/cannot run redis's server: volumes/);
    expect(JSON.parse(await berth.ok(["service", "list", "--json"]))).toEqual([]);
  });

  it("provisions Redis, binds an app with its own credentials as read-only files, and revokes them on unbind", async () => {
    const created = await berth.ok(["service", "create", "cache", "--capability", "redis", "--wait"]);
    expect(created).toMatch(/cache is ready at cache:6379/);
    const info = JSON.parse(await berth.ok(["service", "info", "cache", "--json"]));
    expect(info).toMatchObject({
      phase: "ready",
      capability: "redis",
      plan: "small",
      host: "cache",
      port: 6379,
    });
    expect(info.components).toEqual([
      { service: "server", app: "cache", replicas: 1, readyReplicas: 1, phase: "serving" },
    ]);
    // A component is not an app a user can deploy to, and takes no route.
    const deploy = await berth.cli(["deploy", "cache", "--image", "berth/busybox:latest"]);
    expect(deploy.stderr).toMatch(/'cache' runs service instances \(capability redis\), not an app/);
    expect((await getViaRouter(berth.routerPort, "cache.dev.acme.localhost")).status).toBe(404);

    const bound = await berth.ok(["bind", "web", "cache"]);
    expect(bound).toMatch(/Bound web to cache as cache/);
    expect(bound).toMatch(/release 2 is serving/);
    const files = (await getViaRouter(berth.routerPort, host, "/cgi-bin/files")).body;
    expect(files.split("\n").slice(0, 7)).toEqual([
      "host",
      "password",
      "port",
      "provider",
      "type",
      "uri",
      "username",
    ]);
    expect(files).toMatch(/type=redis/);
    expect(files).toMatch(/url=redis/);
    expect(files).toMatch(/Read-only file system/);
    expect(await redisVia("SET greeting hello")).toBe("+OK\n+OK\n+OK\n");
    expect(await redisVia("GET greeting")).toBe("+OK\n$5\nhello\n+OK\n");

    // The credentials are this binding's own: keep them, unbind, and they stop working.
    const web = (await docker.listContainers({ filters: { label: ["berth.app=web"] } }))[0];
    const read = async (name: string) =>
      (await run("docker", ["exec", web?.Id as string, "cat", `/bindings/cache/${name}`])).stdout;
    const [username, password] = [await read("username"), await read("password")];
    expect(username).toMatch(/^b_web_[a-z0-9]{6}$/);
    const server = (await docker.listContainers({ filters: { label: ["berth.app=cache"] } }))[0];
    const network = Object.keys(server?.NetworkSettings?.Networks ?? {})[0] as string;
    const asOld = async () =>
      (
        await run("docker", [
          "run",
          "--rm",
          "--network",
          network,
          "berth/busybox:latest",
          "sh",
          "-c",
          `printf 'AUTH ${username} ${password}\\r\\nPING\\r\\nQUIT\\r\\n' | nc cache 6379`,
        ])
      ).stdout;
    expect(await asOld()).toMatch(/^\+OK\r\n\+PONG/);

    // Rotation: the app rolls onto new credentials with no failed request, then the old ones stop.
    let rotating = true;
    const answers: string[] = [];
    const traffic = (async () => {
      while (rotating) answers.push(await redisVia("PING"));
    })();
    const rotated = await berth.ok(["binding", "rotate", "web", "cache"]);
    rotating = false;
    await traffic;
    expect(rotated).toMatch(/Rotating cache of web/);
    expect(answers.length).toBeGreaterThan(5);
    expect(answers.filter((a) => a !== "+OK\n+PONG\n+OK\n")).toEqual([]);
    let old = "";
    for (let i = 0; i < 50; i++) {
      old = await asOld();
      if (!old.startsWith("+OK")) break;
      await sleep(200);
    }
    expect(old).toMatch(/^-WRONGPASS/);
    expect(await redisVia("GET greeting")).toBe("+OK\n$5\nhello\n+OK\n");
    const current = (await docker.listContainers({ filters: { label: ["berth.app=web"] } }))[0];
    const readNow = async (name: string) =>
      (await run("docker", ["exec", current?.Id as string, "cat", `/bindings/cache/${name}`])).stdout;
    const [username2, password2] = [await readNow("username"), await readNow("password")];
    expect(username2).toMatch(/^b_web_[a-z0-9]{6}$/);
    expect(username2).not.toBe(username);
    expect(await asOld()).toMatch(/^-WRONGPASS/);
    const asNew = async () =>
      (
        await run("docker", [
          "run",
          "--rm",
          "--network",
          network,
          "berth/busybox:latest",
          "sh",
          "-c",
          `printf 'AUTH ${username2} ${password2}\\r\\nPING\\r\\nQUIT\\r\\n' | nc cache 6379`,
        ])
      ).stdout;
    const unbound = await berth.ok(["unbind", "web", "cache"]);
    expect(unbound).toMatch(/release 4 is serving/);
    let answer = "";
    for (let i = 0; i < 50; i++) {
      answer = await asOld();
      if (!answer.startsWith("+OK")) break;
      await sleep(200);
    }
    expect(answer).toMatch(/^-WRONGPASS/);
    for (let i = 0; i < 50; i++) {
      answer = await asNew();
      if (!answer.startsWith("+OK")) break;
      await sleep(200);
    }
    expect(answer).toMatch(/^-WRONGPASS/);
    expect(JSON.parse(await berth.ok(["bindings", "web", "--json"]))).toEqual([]);
    expect((await getViaRouter(berth.routerPort, host, "/cgi-bin/files")).body).toMatch(
      /No such file or directory/,
    );
  }, 180_000);

  it("refuses to delete a bound service or app, then deletes the service with its volume", async () => {
    await berth.ok(["bind", "web", "cache", "--as", "cache"]);
    // A new plan restarts the server in place, on its volume: the data stays.
    const bad = await berth.cli(["service", "update", "cache", "--param", "color=red"]);
    expect(bad.stderr).toMatch(/redis 1\.0\.0 update: parameter color is not a parameter of it/);
    expect(await berth.ok(["service", "update", "cache", "--plan", "large", "--wait"])).toMatch(
      /cache is ready with plan large/,
    );
    const server = (await docker.listContainers({ filters: { label: ["berth.app=cache"] } }))[0];
    expect((await docker.getContainer(server?.Id as string).inspect()).HostConfig.Memory).toBe(
      2048 * 1024 * 1024,
    );
    expect(await redisVia("GET greeting")).toBe("+OK\n$5\nhello\n+OK\n");
    expect(JSON.parse(await berth.ok(["service", "info", "cache", "--json"]))).toMatchObject({
      phase: "ready",
      plan: "large",
      operation: { kind: "update", state: "succeeded" },
    });
    expect((await berth.cli(["service", "delete", "cache"])).stderr).toMatch(
      /service cache is bound to web in dev; unbind first/,
    );
    expect((await berth.cli(["app", "delete", "web"])).stderr).toMatch(
      /web is bound to cache in dev; unbind first/,
    );
    expect((await berth.cli(["env", "delete", "dev", "--tenant", "acme"])).stderr).toMatch(
      /environment 'dev' still has 1 service instance\(s\) \(cache\); delete them first/,
    );
    await berth.ok(["unbind", "web", "cache"]);
    const volume = async () =>
      ((await docker.listVolumes()).Volumes ?? []).filter(
        (v) => v.Labels?.["berth.volume"] === "cache-data" && v.Labels?.["berth.env"] === "dev",
      );
    expect(await volume()).toHaveLength(1);
    expect(await berth.ok(["service", "delete", "cache", "--wait"])).toMatch(/cache is gone/);
    expect(await volume()).toHaveLength(0);
    expect(await docker.listContainers({ all: true, filters: { label: ["berth.app=cache"] } })).toEqual([]);
  }, 120_000);

  it("lints a module with file:line, refuses images not built on Berth's base, and stores nothing", async () => {
    const dir = memoModule({ from: "debian:bookworm" });
    const lint = await berth.cli(["module", "lint", dir]);
    expect(lint.code).toBe(1);
    expect(lint.stderr).toMatch(
      /image\/Dockerfile:1: builds on 'debian:bookworm'; module images build only on berth\/debian:bookworm/,
    );
    writeFileSync(
      join(dir, "capability.yaml"),
      "apiVersion: berth.dev/capability/v1\nid: Memo\nversion: one\n",
    );
    const bad = await berth.cli(["module", "lint", dir]);
    expect(bad.stderr).toMatch(/capability\.yaml:2: id: capability must be a DNS label/);
    expect(bad.stderr).toMatch(/capability\.yaml:3: version: a module version is MAJOR\.MINOR\.PATCH/);
    expect((await berth.cli(["catalog", "add", dir])).code).toBe(1);
    const list = JSON.parse(await berth.ok(["catalog", "list", "--json"])) as { capability: string }[];
    expect(list.map((e) => e.capability)).not.toContain("memo");
  });

  it("adds a module written here and uses it end to end: no Berth release needed", async () => {
    const dir = memoModule();
    expect(await berth.ok(["module", "lint", dir])).toMatch(/memo 0\.1\.0: ok \(1 service\(s\), 1 plan\(s\)/);
    expect(await berth.ok(["catalog", "add", dir, "--tenant", "acme"])).toMatch(
      /Added memo 0\.1\.0 to the catalog for acme/,
    );
    expect(await berth.ok(["catalog", "add", dir, "--tenant", "acme"])).toMatch(
      /already in the catalog with these very files/,
    );
    expect(
      await berth.ok([
        "service",
        "create",
        "notes",
        "--capability",
        "memo",
        "--param",
        "greeting=hi-${PLAN_CPUS}",
        "--wait",
      ]),
    ).toMatch(/notes is ready at notes:8080/);
    await berth.ok(["bind", "web", "notes"]);
    const web = (await docker.listContainers({ filters: { label: ["berth.app=web"] } }))[0];
    const fetched = await run("docker", [
      "exec",
      web?.Id as string,
      "sh",
      "-c",
      'wget -q -O- "$MEMO_URL/ready"',
    ]);
    // A parameter is data: a template in it arrives as written, never evaluated.
    expect(fetched.stdout).toBe("hi-${PLAN_CPUS}\n");
    const files = await run("docker", [
      "exec",
      web?.Id as string,
      "sh",
      "-c",
      "cat /bindings/notes/type /bindings/notes/uri",
    ]);
    // servicebinding.io files hold the bare value, with no newline.
    expect(files.stdout).toBe("memohttp://notes:8080/");
    await berth.ok(["unbind", "web", "notes"]);
    await berth.ok(["service", "delete", "notes", "--wait"]);
  }, 240_000);

  it("adds a module version from a git repository at a tag", async () => {
    const repo = mkdtempSync(join(tmpdir(), "berth-module-repo-"));
    const dir = memoModule();
    const yaml = join(dir, "capability.yaml");
    writeFileSync(yaml, readFileSync(yaml, "utf8").replace("version: 0.1.0", "version: 0.2.0"));
    await run("cp", ["-r", dir, join(repo, "memo")]);
    const git = (...args: string[]) =>
      run("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@localhost", ...args]);
    await git("init", "--quiet");
    await git("add", ".");
    await git("commit", "--quiet", "-m", "memo 0.2.0");
    await git("tag", "v0.2.0");
    const bad = await berth.cli(["catalog", "add", "--git", `file://${repo}`, "--ref", "--upload-pack=x"]);
    expect(bad.stderr).toMatch(/--ref --upload-pack=x: expected a tag or branch name/);
    const missing = await berth.cli([
      "catalog",
      "add",
      "--git",
      `file://${repo}`,
      "--ref",
      "v9",
      "--path",
      "memo",
    ]);
    expect(missing.stderr).toMatch(/git clone of file:\/\/.* at v9 failed: .*v9/);
    const added = await berth.ok([
      "catalog",
      "add",
      "--git",
      `file://${repo}`,
      "--ref",
      "v0.2.0",
      "--path",
      "memo",
      "--tenant",
      "acme",
    ]);
    expect(added).toMatch(/Added memo 0\.2\.0 to the catalog for acme/);
    const shown = JSON.parse(await berth.ok(["catalog", "show", "memo", "--json"]));
    expect(shown.versions.map((v: { version: string }) => v.version)).toEqual(["0.2.0", "0.1.0"]);
    expect(shown.versions[0].source).toMatch(/^git file:\/\/.* v0\.2\.0 [0-9a-f]{12}$/);
  }, 120_000);

  it("refuses a module service that asks for privileged mode, by the tenant's isolation policy", async () => {
    const dir = memoModule({ privileged: true });
    const yaml = join(dir, "capability.yaml");
    writeFileSync(yaml, readFileSync(yaml, "utf8").replace("id: memo", "id: rootmemo"));
    await berth.ok(["catalog", "add", dir, "--tenant", "acme"]);
    const r = await berth.cli(["service", "create", "rooty", "--capability", "rootmemo"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/privileged/);
    const names = (JSON.parse(await berth.ok(["service", "list", "--json"])) as { name: string }[]).map(
      (i) => i.name,
    );
    expect(names).not.toContain("rooty");
    expect(await docker.listContainers({ all: true, filters: { label: ["berth.app=rooty"] } })).toEqual([]);
  }, 120_000);

  it("a provision that fails says why and leaves no container, volume or secret behind", async () => {
    const dir = memoModule({ crash: true });
    const yaml = join(dir, "capability.yaml");
    writeFileSync(yaml, readFileSync(yaml, "utf8").replace("id: memo", "id: crashmemo"));
    await berth.ok(["catalog", "add", dir, "--tenant", "acme"]);
    const r = await berth.cli(["service", "create", "broken", "--capability", "crashmemo", "--wait"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/create of broken failed: server:/);
    const info = JSON.parse(await berth.ok(["service", "info", "broken", "--json"]));
    expect(info.phase).toBe("failed");
    for (let i = 0; i < 50; i++) {
      const left = await docker.listContainers({ all: true, filters: { label: ["berth.app=broken"] } });
      const volumes = ((await docker.listVolumes()).Volumes ?? []).filter(
        (v) => v.Labels?.["berth.volume"] === "broken-data",
      );
      if (left.length === 0 && volumes.length === 0) break;
      await sleep(200);
    }
    expect(await docker.listContainers({ all: true, filters: { label: ["berth.app=broken"] } })).toEqual([]);
    expect(
      ((await docker.listVolumes()).Volumes ?? []).filter(
        (v) => v.Labels?.["berth.volume"] === "broken-data",
      ),
    ).toEqual([]);
    await berth.ok(["service", "delete", "broken", "--wait"]);
  }, 420_000);
});
