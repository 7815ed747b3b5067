import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthProcess } from "../support/berth-process.js";
import { getViaRouter } from "../support/http-via-router.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a local command to completion (bounded), never throwing: its exit code is part of the answer. */
function sh(file: string, args: string[], timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The CGI preamble: plain text, stderr folded in, and the binding's folder as $b. */
const cgiHead = (binding: string) =>
  `#!/bin/sh\necho "Content-Type: text/plain"\necho ""\nexec 2>&1\nb="$SERVICE_BINDING_ROOT/${binding}"\n`;

/**
 * A test app built FROM a module's own image (so its client tools are there), served by busybox
 * httpd: /healthz for Berth's health check, and CGI scripts that use the binding's files.
 */
function clientApp(from: string, cgis: Record<string, string>, extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-modapp-"));
  mkdirSync(join(dir, "www", "cgi-bin"), { recursive: true });
  writeFileSync(join(dir, "www", "healthz"), "ok\n");
  for (const [name, body] of Object.entries(cgis)) {
    const file = join(dir, "www", "cgi-bin", name);
    writeFileSync(file, body);
    chmodSync(file, 0o755);
  }
  mkdirSync(join(dir, "opt"));
  for (const [name, body] of Object.entries(extra)) writeFileSync(join(dir, "opt", name), body);
  writeFileSync(
    join(dir, "Dockerfile"),
    [
      `FROM ${from}`,
      // The module images run as their service's user; the app reads the binding files as root.
      "USER root",
      "COPY --from=berth/busybox:latest /bin/busybox /bin/busybox",
      "COPY www /www",
      "COPY opt /opt/app",
      "ENV HOME=/tmp",
      "WORKDIR /tmp",
      "EXPOSE 8080",
      'ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]',
      "CMD []",
      "",
    ].join("\n"),
  );
  return dir;
}

/** Lists the binding's files and shows whether its env var is set (scheme only: never the secret). */
const filesCgi = (binding: string, envVar: string) =>
  `${cgiHead(binding)}ls "$b"\necho "type=$(cat "$b/type")"\necho "env=\${${envVar}%%:*}"\n`;

/** Runs the URL-decoded query string as one SQL statement, as the binding's user. */
const psqlCgi = (binding: string) =>
  `${cgiHead(binding)}sql=$(busybox httpd -d "$QUERY_STRING")
PGPASSWORD="$(cat "$b/password")" PGCONNECT_TIMEOUT=10 psql -h "$(cat "$b/host")" -p "$(cat "$b/port")" \\
  -U "$(cat "$b/username")" -d "$(cat "$b/database")" -X -tA -v ON_ERROR_STOP=1 -c "$sql"
`;

const mariadbCgi = (binding: string) =>
  `${cgiHead(binding)}sql=$(busybox httpd -d "$QUERY_STRING")
MYSQL_PWD="$(cat "$b/password")" mariadb --protocol=TCP -h "$(cat "$b/host")" -P "$(cat "$b/port")" \\
  -u "$(cat "$b/username")" -D "$(cat "$b/database")" --connect-timeout=10 -N -B -e "$sql"
`;

/**
 * A real AMQP 0-9-1 client: RabbitMQ's own Erlang amqp_client, which the module image ships.
 * Each connection field comes from MQ_<FIELD> when set (the one-shot client below), otherwise from
 * the binding's file of that name (the app).
 */
const MQ_ESCRIPT = `%%! -noinput
-include_lib("amqp_client/include/amqp_client.hrl").

field(Name) ->
    case os:getenv("MQ_" ++ string:uppercase(Name)) of
        false ->
            {ok, V} = file:read_file(os:getenv("MQ_BINDING_DIR") ++ "/" ++ Name),
            V;
        V -> list_to_binary(V)
    end.

main(Args) ->
    Params = #amqp_params_network{
        host = binary_to_list(field("host")),
        port = binary_to_integer(field("port")),
        username = field("username"),
        password = field("password"),
        virtual_host = field("vhost"),
        connection_timeout = 10000},
    case amqp_connection:start(Params) of
        {ok, Conn} ->
            {ok, Ch} = amqp_connection:open_channel(Conn),
            run(Ch, Args),
            amqp_channel:close(Ch),
            amqp_connection:close(Conn);
        {error, Reason} ->
            io:format("refused: ~p~n", [Reason]),
            halt(1)
    end.

run(_Ch, ["ping"]) ->
    io:format("connected~n");
run(Ch, ["publish", Queue, Body]) ->
    Q = list_to_binary(Queue),
    #'queue.declare_ok'{} = amqp_channel:call(Ch, #'queue.declare'{queue = Q, durable = true}),
    #'confirm.select_ok'{} = amqp_channel:call(Ch, #'confirm.select'{}),
    ok = amqp_channel:call(Ch, #'basic.publish'{routing_key = Q},
        #amqp_msg{props = #'P_basic'{delivery_mode = 2}, payload = list_to_binary(Body)}),
    true = amqp_channel:wait_for_confirms(Ch, 10000),
    io:format("published~n");
run(Ch, ["get", Queue]) ->
    case amqp_channel:call(Ch, #'basic.get'{queue = list_to_binary(Queue), no_ack = true}) of
        {#'basic.get_ok'{}, #amqp_msg{payload = P}} -> io:format("got ~s~n", [P]);
        #'basic.get_empty'{} -> io:format("empty~n")
    end.
`;

/** ?op&queue[&body], each part URL-encoded. */
const mqCgi = (binding: string) =>
  `${cgiHead(binding)}IFS='&'
set -- $QUERY_STRING
unset IFS
for a in "$@"; do set -- "$@" "$(busybox httpd -d "$a")"; shift; done
export MQ_BINDING_DIR="$b" ERL_LIBS="$(echo /usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins)"
escript /opt/app/mq.escript "$@"
`;

const DASK_PY = `import os
import warnings

warnings.simplefilter("ignore")
from distributed import Client

with Client(os.environ["DASK_SCHEDULER_ADDRESS"], timeout=30) as client:
    squares = client.map(lambda x: x * x, range(1000))
    total = client.submit(sum, squares).result(timeout=60)
    workers = len(client.scheduler_info()["workers"])
print(f"sum={total} workers={workers}")
`;

const daskCgi = (binding: string) =>
  `${cgiHead(binding)}if [ -z "\${DASK_SCHEDULER_ADDRESS:-}" ]; then echo "no DASK_SCHEDULER_ADDRESS"; ls "$b"; exit 0; fi
echo "uri=$(cat "$b/uri")"
echo "env=$DASK_SCHEDULER_ADDRESS"
python3 /opt/app/sum.py
`;

describe("the shipped capability modules, round trip through the CLI: provision, bind, use, unbind, delete", () => {
  let berth: BerthProcess;
  let instance = "";
  const docker = new Docker();
  const dirs: string[] = [];
  const timings: Record<string, Record<string, string>> = {};
  const secs = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

  beforeAll(async () => {
    berth = await BerthProcess.start({ drainMs: 200 });
    instance = berth.instanceId();
    await berth.ok(["tenant", "create", "acme"]);
    await berth.ok(["env", "create", "dev", "--tenant", "acme"]);
    await berth.ok(["use", "--tenant", "acme", "--env", "dev"]);
  }, 120_000);
  afterAll(async () => {
    await berth?.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    console.log(`per-module timings:\n${JSON.stringify(timings, null, 2)}`);
  });

  /** This server's containers of one Berth app (or instance component), of one release when given. */
  const containersOf = (app: string, all = false, release?: number) =>
    docker.listContainers({
      all,
      filters: {
        label: [
          `berth.app=${app}`,
          `berth.instance=${instance}`,
          ...(release === undefined ? [] : [`berth.release=${release}`]),
        ],
      },
    });

  /** Creates the instance and checks it is ready; returns the module image and the instance's network. */
  async function provision(
    name: string,
    capability: string,
    port: number,
  ): Promise<{ image: string; imageId: string; network: string }> {
    const t0 = Date.now();
    expect(await berth.ok(["service", "create", name, "--capability", capability, "--wait"])).toMatch(
      new RegExp(`${name} is ready at ${name}:${port}`),
    );
    timings[capability] = { provision: secs(t0) };
    const info = JSON.parse(await berth.ok(["service", "info", name, "--json"]));
    expect(info).toMatchObject({ phase: "ready", capability, host: name, port });
    const [server] = await containersOf(name);
    expect(server, `no running container of ${name}`).toBeDefined();
    const inspected = await docker.getImage(server?.ImageID as string).inspect();
    expect(inspected.Config.Labels?.["berth.capability"]).toBe(capability);
    const image = (inspected.RepoTags ?? []).find((t) => t.startsWith(`berth-cap/${capability}-`));
    expect(image, `module image tags: ${inspected.RepoTags}`).toBeDefined();
    const network = Object.keys(server?.NetworkSettings?.Networks ?? {})[0];
    expect(network).toBeDefined();
    return { image: image as string, imageId: inspected.Id, network: network as string };
  }

  /** Creates and deploys the app, then binds it; returns the app's container and the binding's credentials. */
  async function deployAndBind(app: string, service: string, dir: string, capability: string) {
    dirs.push(dir);
    await berth.ok(["app", "create", app]);
    await berth.ok(["deploy", app, "--path", dir, "--health-path", "/healthz"]);
    const t0 = Date.now();
    const bound = await berth.ok(["bind", app, service]);
    (timings[capability] as Record<string, string>).bind = secs(t0);
    expect(bound).toMatch(new RegExp(`Bound ${app} to ${service} as ${service}`));
    expect(bound).toMatch(/release 2 is serving/);
    // Release 1 may still be draining: the bound app is release 2.
    const containers = await containersOf(app, false, 2);
    expect(containers).toHaveLength(1);
    const id = containers[0]?.Id as string;
    const read = async (file: string) => {
      const r = await sh("docker", ["exec", id, "cat", `/bindings/${service}/${file}`]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    return { container: id, username: await read("username"), password: await read("password"), read };
  }

  /** Unbinds and checks the app lost the files and the old credentials are refused. */
  async function unbindAndCheckRevoked(
    app: string,
    service: string,
    capability: string,
    tryLogin: () => Promise<Ran>,
    refusal: RegExp,
    envVar: string,
  ) {
    const timing = timings[capability] as Record<string, string>;
    const t0 = Date.now();
    expect(await berth.ok(["unbind", app, service])).toMatch(/release 3 is serving/);
    timing.unbind = secs(t0);
    // Polls (about 10 s) until the service refuses the old credentials in its final words: a
    // revoke that stops half way (say, a login disabled but the user never dropped) fails here.
    const deadline = Date.now() + 10_000;
    let answer = await tryLogin();
    for (;;) {
      if (answer.code !== 0) timing["unbind-to-refused"] ??= secs(t0);
      if ((answer.code !== 0 && refusal.test(answer.stdout + answer.stderr)) || Date.now() > deadline) break;
      await sleep(250);
      answer = await tryLogin();
    }
    expect(answer.code).not.toBe(0);
    expect(answer.stdout + answer.stderr).toMatch(refusal);
    expect(JSON.parse(await berth.ok(["bindings", app, "--json"]))).toEqual([]);
    const files = (await getViaRouter(berth.routerPort, `${app}.dev.acme.localhost`, "/cgi-bin/files")).body;
    expect(files).toMatch(/No such file or directory/);
    expect(files).toMatch(/^env=$/m);
    const [container] = await containersOf(app, false, 3);
    expect(container).toBeDefined();
    const ls = await sh("docker", ["exec", container?.Id as string, "sh", "-c", `ls /bindings/${service}`]);
    expect(ls.code).not.toBe(0);
    const env = await sh("docker", ["exec", container?.Id as string, "sh", "-c", `echo "[\${${envVar}:-}]"`]);
    expect(env.stdout).toBe("[]\n");
  }

  /** Deletes the instance and checks that its volume and containers are gone. */
  async function deleteAndCheckGone(name: string, volumes: string[]) {
    const volumesOf = async () =>
      (
        (await docker.listVolumes({ filters: { label: [`berth.instance=${instance}`] } })).Volumes ?? []
      ).filter((v) => volumes.includes(v.Labels?.["berth.volume"] ?? ""));
    expect(await volumesOf()).toHaveLength(volumes.length);
    expect(await berth.ok(["service", "delete", name, "--wait"])).toMatch(new RegExp(`${name} is gone`));
    expect(await volumesOf()).toEqual([]);
    expect(await containersOf(name, true)).toEqual([]);
    const left = JSON.parse(await berth.ok(["service", "list", "--json"])) as { name: string }[];
    expect(left.map((i) => i.name)).not.toContain(name);
  }

  it("postgresql: a bound app writes and reads rows as its own role, which unbind drops", async () => {
    const { image, imageId, network } = await provision("pg", "postgresql", 5432);
    const dir = clientApp(image, { sql: psqlCgi("pg"), files: filesCgi("pg", "DATABASE_URL") });
    const { username, password, read } = await deployAndBind("pgweb", "pg", dir, "postgresql");
    expect(username).toMatch(/^b_pgweb_[a-z0-9]{6}$/);
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(await read("uri")).toBe(`postgresql://${username}:${password}@pg:5432/app`);

    const host = "pgweb.dev.acme.localhost";
    const sql = async (statement: string) =>
      (await getViaRouter(berth.routerPort, host, `/cgi-bin/sql?${encodeURIComponent(statement)}`, 20_000))
        .body;
    const files = (await getViaRouter(berth.routerPort, host, "/cgi-bin/files")).body;
    expect(files.split("\n").slice(0, 8)).toEqual([
      "database",
      "host",
      "password",
      "port",
      "provider",
      "type",
      "uri",
      "username",
    ]);
    expect(files).toMatch(/^type=postgresql$/m);
    expect(files).toMatch(/^env=postgresql$/m);
    expect(await sql("SELECT session_user || ' ' || current_user")).toBe(`${username} app-owner\n`);
    expect(await sql("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)")).toBe(
      "CREATE TABLE\n",
    );
    expect(await sql("INSERT INTO notes (body) VALUES ('written by pgweb'), ('and read back')")).toBe(
      "INSERT 0 2\n",
    );
    expect(await sql("SELECT body FROM notes ORDER BY id")).toBe("written by pgweb\nand read back\n");
    // The binding reaches its own database only.
    expect(await sql("SELECT has_database_privilege('postgres', 'CONNECT')")).toBe("f\n");

    const asOld = () =>
      sh("docker", [
        "run",
        "--rm",
        "--network",
        network,
        "-e",
        `PGPASSWORD=${password}`,
        "-e",
        "PGCONNECT_TIMEOUT=5",
        imageId,
        "psql",
        "-h",
        "pg",
        "-U",
        username,
        "-d",
        "app",
        "-X",
        "-tA",
        "-c",
        "SELECT count(*) FROM notes",
      ]);
    const before = await asOld();
    expect(before.stdout, before.stderr).toBe("2\n");
    await unbindAndCheckRevoked(
      "pgweb",
      "pg",
      "postgresql",
      asOld,
      new RegExp(`password authentication failed for user "${username}"`),
      "DATABASE_URL",
    );
    await deleteAndCheckGone("pg", ["pg-data"]);
  }, 300_000);

  it("mariadb: a bound app writes and reads rows as its own user, which unbind drops", async () => {
    const { image, imageId, network } = await provision("mdb", "mariadb", 3306);
    const dir = clientApp(image, { sql: mariadbCgi("mdb"), files: filesCgi("mdb", "DATABASE_URL") });
    const { username, password, read } = await deployAndBind("mdbweb", "mdb", dir, "mariadb");
    expect(username).toMatch(/^b_mdbweb_[a-z0-9]{6}$/);
    expect(await read("uri")).toBe(`mysql://${username}:${password}@mdb:3306/app`);

    const host = "mdbweb.dev.acme.localhost";
    const sql = async (statement: string) =>
      (await getViaRouter(berth.routerPort, host, `/cgi-bin/sql?${encodeURIComponent(statement)}`, 20_000))
        .body;
    const files = (await getViaRouter(berth.routerPort, host, "/cgi-bin/files")).body;
    expect(files).toMatch(/^type=mysql$/m);
    expect(files).toMatch(/^env=mysql$/m);
    expect(await sql("SELECT CURRENT_USER()")).toBe(`${username}@%\n`);
    expect(await sql("CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT NOT NULL)")).toBe("");
    expect(await sql("INSERT INTO notes (body) VALUES ('written by mdbweb'), ('and read back')")).toBe("");
    expect(await sql("SELECT body FROM notes ORDER BY id")).toBe("written by mdbweb\nand read back\n");
    expect(await sql("CREATE DATABASE other")).toMatch(/ERROR 1044 \(42000\).*Access denied/);

    const asOld = () =>
      sh("docker", [
        "run",
        "--rm",
        "--network",
        network,
        "-e",
        `MYSQL_PWD=${password}`,
        imageId,
        "mariadb",
        "--protocol=TCP",
        "-h",
        "mdb",
        "-u",
        username,
        "-D",
        "app",
        "--connect-timeout=5",
        "-N",
        "-B",
        "-e",
        "SELECT count(*) FROM notes",
      ]);
    const before = await asOld();
    expect(before.stdout, before.stderr).toBe("2\n");
    await unbindAndCheckRevoked(
      "mdbweb",
      "mdb",
      "mariadb",
      asOld,
      new RegExp(`ERROR (1045|1698) \\(28000\\).*Access denied for user '${username}'`),
      "DATABASE_URL",
    );
    await deleteAndCheckGone("mdb", ["mdb-data"]);
  }, 300_000);

  it("rabbitmq: a bound app publishes and gets messages as its own user, which unbind deletes", async () => {
    const { image, imageId, network } = await provision("mq", "rabbitmq", 5672);
    const dir = clientApp(
      image,
      { mq: mqCgi("mq"), files: filesCgi("mq", "AMQP_URL") },
      { "mq.escript": MQ_ESCRIPT },
    );
    const { username, password, read } = await deployAndBind("mqweb", "mq", dir, "rabbitmq");
    expect(username).toMatch(/^b_mqweb_[a-z0-9]{6}$/);
    expect(await read("vhost")).toBe("/");
    expect(await read("uri")).toBe(`amqp://${username}:${password}@mq:5672/%2F`);

    const host = "mqweb.dev.acme.localhost";
    const mq = async (...args: string[]) =>
      (
        await getViaRouter(
          berth.routerPort,
          host,
          `/cgi-bin/mq?${args.map(encodeURIComponent).join("&")}`,
          30_000,
        )
      ).body;
    const files = (await getViaRouter(berth.routerPort, host, "/cgi-bin/files")).body;
    expect(files).toMatch(/^type=rabbitmq$/m);
    expect(files).toMatch(/^env=amqp$/m);
    expect(await mq("publish", "greetings", "hello from mqweb")).toBe("published\n");
    expect(await mq("publish", "greetings", "second message")).toBe("published\n");
    expect(await mq("get", "greetings")).toBe("got hello from mqweb\n");
    expect(await mq("get", "greetings")).toBe("got second message\n");
    expect(await mq("get", "greetings")).toBe("empty\n");

    const asOld = () =>
      sh("docker", [
        "run",
        "--rm",
        "--network",
        network,
        "-e",
        "MQ_HOST=mq",
        "-e",
        "MQ_PORT=5672",
        "-e",
        "MQ_VHOST=/",
        "-e",
        `MQ_USERNAME=${username}`,
        "-e",
        `MQ_PASSWORD=${password}`,
        "-e",
        `MQ_SCRIPT=${MQ_ESCRIPT}`,
        "--entrypoint",
        "sh",
        imageId,
        "-c",
        'printf "%s" "$MQ_SCRIPT" >/tmp/c.escript && ERL_LIBS=$(echo /usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins) HOME=/tmp escript /tmp/c.escript ping',
      ]);
    const before = await asOld();
    expect(before.stdout, before.stderr).toBe("connected\n");
    await unbindAndCheckRevoked(
      "mqweb",
      "mq",
      "rabbitmq",
      asOld,
      /ACCESS_REFUSED - Login was refused/,
      "AMQP_URL",
    );
    await deleteAndCheckGone("mq", ["mq-data"]);
  }, 300_000);

  it("dask: a bound app submits a computation to the scheduler at its binding's address", async () => {
    const t0 = Date.now();
    expect(await berth.ok(["service", "create", "compute", "--capability", "dask", "--wait"])).toMatch(
      /compute is ready at compute:8786/,
    );
    timings.dask = { provision: secs(t0) };
    const info = JSON.parse(await berth.ok(["service", "info", "compute", "--json"]));
    expect(info).toMatchObject({ phase: "ready", capability: "dask", host: "compute", port: 8786 });
    const components = info.components as {
      service: string;
      app: string;
      replicas: number;
      readyReplicas: number;
    }[];
    expect(components.map((c) => [c.service, c.replicas, c.readyReplicas])).toEqual([
      ["scheduler", 1, 1],
      ["worker", 2, 2],
    ]);
    const [scheduler] = await containersOf("compute");
    const inspected = await docker.getImage(scheduler?.ImageID as string).inspect();
    const image = (inspected.RepoTags ?? []).find((t) => t.startsWith("berth-cap/dask-"));
    expect(image, `module image tags: ${inspected.RepoTags}`).toBeDefined();

    const dir = clientApp(
      image as string,
      { sum: daskCgi("compute"), files: filesCgi("compute", "DASK_SCHEDULER_ADDRESS") },
      { "sum.py": DASK_PY },
    );
    dirs.push(dir);
    await berth.ok(["app", "create", "daskweb"]);
    await berth.ok(["deploy", "daskweb", "--path", dir, "--health-path", "/healthz"]);
    const t1 = Date.now();
    const bound = await berth.ok(["bind", "daskweb", "compute"]);
    timings.dask.bind = secs(t1);
    expect(bound).toMatch(/release 2 is serving/);

    const host = "daskweb.dev.acme.localhost";
    const answer = (await getViaRouter(berth.routerPort, host, "/cgi-bin/sum", 90_000)).body;
    expect(answer).toBe("uri=tcp://compute:8786\nenv=tcp://compute:8786\nsum=332833500 workers=2\n");

    const t2 = Date.now();
    expect(await berth.ok(["unbind", "daskweb", "compute"])).toMatch(/release 3 is serving/);
    timings.dask.unbind = secs(t2);
    const after = (await getViaRouter(berth.routerPort, host, "/cgi-bin/sum")).body;
    expect(after).toMatch(/^no DASK_SCHEDULER_ADDRESS\n.*No such file or directory/);

    expect(await berth.ok(["service", "delete", "compute", "--wait"])).toMatch(/compute is gone/);
    for (const app of new Set(["compute", ...components.map((c) => c.app)]))
      expect(await containersOf(app, true)).toEqual([]);
    const left = JSON.parse(await berth.ok(["service", "list", "--json"])) as { name: string }[];
    expect(left.map((i) => i.name)).not.toContain("compute");
  }, 300_000);
});
