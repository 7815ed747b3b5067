import { describe, expect, it } from "vitest";
import { type RouterSettings, renderNginxConfig } from "../../src/router/render-nginx-config.js";
import type { Route } from "../../src/router/route.js";

const settings: RouterSettings = {
  listenHost: "127.0.0.1",
  port: 8080,
  stateDir: "/var/lib/berth/router",
  generation: 42,
};

const app = (host: string, ...ports: number[]): Route => ({
  host,
  endpoints: ports.map((port) => ({ address: "10.0.0.2", port })),
});

/** The lines of the block that starts with `opening` (e.g. "server {") and contains `marker`. */
function block(conf: string, marker: string): string {
  const at = conf.indexOf(marker);
  expect(at, `missing ${marker}`).toBeGreaterThan(-1);
  const start = conf.lastIndexOf("  server {", at);
  return conf.slice(start, conf.indexOf("\n  }\n", at) + 4);
}

describe("renderNginxConfig", () => {
  it("renders a standalone config owned by the state dir", () => {
    const conf = renderNginxConfig([], settings);
    expect(conf.startsWith("# generation 42 — rendered by Berth; do not edit\n")).toBe(true);
    expect(conf).toContain("daemon on;");
    expect(conf).toContain("worker_processes 1;");
    expect(conf).toContain("pid /var/lib/berth/router/nginx.pid;");
    expect(conf).toContain("error_log /var/lib/berth/router/error.log warn;");
    expect(conf).toContain("worker_connections 4096;");
    for (const kind of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) {
      expect(conf).toContain(`${kind}_temp_path /var/lib/berth/router/tmp/${kind};`);
    }
    expect(conf).toContain("access_log /var/lib/berth/router/access.log berth;");
    expect(conf).toContain("server_names_hash_bucket_size 128;");
    expect(conf).toContain("map $http_upgrade $connection_upgrade {");
    expect(conf).toContain("proxy_http_version 1.1;");
    expect(conf).not.toContain("upstream ");
  });

  it("is deterministic: routes sorted by host, endpoints sorted and de-duplicated", () => {
    const routes: Route[] = [
      { host: "web.prod.zeta.example.com", endpoints: [{ address: "10.0.0.10", port: 80 }] },
      {
        host: "api.prod.acme.example.com",
        endpoints: [
          { address: "10.0.0.9", port: 8080 },
          { address: "10.0.0.10", port: 8080 },
          { address: "10.0.0.9", port: 3000 },
          { address: "10.0.0.9", port: 8080 },
        ],
      },
    ];
    const conf = renderNginxConfig(routes, settings);
    expect(renderNginxConfig([...routes].reverse(), settings)).toBe(conf);
    expect(renderNginxConfig(structuredClone(routes), settings)).toBe(conf);
    expect(conf).toContain(
      [
        "  upstream u0 {",
        "    server 10.0.0.9:3000 max_fails=1 fail_timeout=2s;",
        "    server 10.0.0.9:8080 max_fails=1 fail_timeout=2s;",
        "    server 10.0.0.10:8080 max_fails=1 fail_timeout=2s;",
        "    keepalive 16;",
      ].join("\n"),
    );
    expect(conf).toContain("  upstream u1 {\n    server 10.0.0.10:80 max_fails=1 fail_timeout=2s;");
    const api = block(conf, "server_name api.prod.acme.example.com;");
    expect(api).toContain("listen 127.0.0.1:8080;");
    expect(api).toContain("proxy_pass http://u0;");
    expect(api).toContain("proxy_next_upstream error timeout http_502 http_503;");
    expect(api).toContain("proxy_next_upstream_tries 3;");
    expect(block(conf, "server_name web.prod.zeta.example.com;")).toContain("proxy_pass http://u1;");
    expect(conf.indexOf("server_name api.")).toBeLessThan(conf.indexOf("server_name web."));
  });

  it("gives a route without endpoints no upstream and a 503 server", () => {
    const conf = renderNginxConfig([app("idle.dev.acme.localhost")], settings);
    expect(conf).not.toContain("upstream ");
    const idle = block(conf, "server_name idle.dev.acme.localhost;");
    expect(idle).toContain("default_type text/plain;");
    expect(idle).toContain('return 503 "no healthy instance of this app is running\\n";');
    expect(idle).not.toContain("proxy_pass");
  });

  it("has a default server answering 404", () => {
    const conf = renderNginxConfig([app("a.b.c.localhost", 80)], settings);
    const fallback = block(conf, "listen 127.0.0.1:8080 default_server;");
    expect(fallback).toContain("server_name _;");
    expect(fallback).toContain('return 404 "no app is routed at this host\\n";');
  });

  it("serves the generation on the status socket", () => {
    const conf = renderNginxConfig([], { ...settings, generation: 1765000000123 });
    const status = block(conf, "listen unix:/var/lib/berth/router/status.sock;");
    expect(status).toContain('location = /generation {\n      return 200 "1765000000123";');
    expect(status).toContain("access_log off;");
  });

  it("grows the server-name hash bucket for long host names nginx would otherwise refuse", () => {
    const label = "a".repeat(63);
    const conf = renderNginxConfig([app(`${label}.${label}.${label}.localhost`, 80)], settings);
    expect(conf).toContain("server_names_hash_bucket_size 256;");
  });

  describe("refuses hostile or malformed values, naming them", () => {
    const hostile: [string, () => unknown, string][] = [
      [
        "host with a directive",
        () => [app("evil.com; include /etc/passwd", 80)],
        "evil.com; include /etc/passwd",
      ],
      ["host with a newline", () => [app("evil.com\nlisten 1", 80)], "evil.com\\nlisten 1"],
      ["host with a brace", () => [app("evil.com}", 80)], "evil.com}"],
      ["upper-case host", () => [app("App.example.com", 80)], "App.example.com"],
      ["empty host", () => [app("", 80)], '""'],
      ["host with a space", () => [app("a b", 80)], "a b"],
      ["address with a directive", () => [addr("1.2.3.4; x")], "1.2.3.4; x"],
      ["address out of range", () => [addr("1.2.3.256")], "1.2.3.256"],
      ["host name as address", () => [addr("db.internal")], "db.internal"],
      ["port 0", () => [app("a.example.com", 0)], "0"],
      ["port 70000", () => [app("a.example.com", 70000)], "70000"],
      ["port 1.5", () => [app("a.example.com", 1.5)], "1.5"],
    ];
    it.each(hostile)("%s", (_, routes, named) => {
      expect(() => renderNginxConfig(routes() as Route[], settings)).toThrow(named);
    });

    it("two routes for one host", () => {
      expect(() => renderNginxConfig([app("a.example.com", 80), app("a.example.com", 81)], settings)).toThrow(
        "a.example.com",
      );
    });

    const badSettings: [string, Partial<RouterSettings>, string][] = [
      ["state dir with a space", { stateDir: "/var/lib/berth router" }, "/var/lib/berth router"],
      ["state dir with a semicolon", { stateDir: "/var/lib/berth;router" }, "/var/lib/berth;router"],
      ["relative state dir", { stateDir: "var/lib/berth" }, "var/lib/berth"],
      ["state dir with ..", { stateDir: "/var/lib/../etc" }, "/var/lib/../etc"],
      ["listen host with a directive", { listenHost: "0.0.0.0:80; x" }, "0.0.0.0:80; x"],
      ["listen host name", { listenHost: "example.com" }, "example.com"],
      ["listen port 0", { port: 0 }, "0"],
      ["fractional generation", { generation: 1.5 }, "1.5"],
    ];
    it.each(badSettings)("%s", (_, override, named) => {
      expect(() => renderNginxConfig([], { ...settings, ...override })).toThrow(named);
    });

    it("accepts the allowed listen hosts", () => {
      for (const listenHost of ["0.0.0.0", "127.0.0.1", "localhost", "[::1]", "[::]"]) {
        expect(renderNginxConfig([], { ...settings, listenHost })).toContain(
          `listen ${listenHost}:8080 default_server;`,
        );
      }
    });
  });
});

function addr(address: string): Route {
  return { host: "a.example.com", endpoints: [{ address, port: 80 }] };
}
