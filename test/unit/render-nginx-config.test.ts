import { describe, expect, it } from "vitest";
import type { TrafficRules } from "../../src/domain/traffic-rules.js";
import { type RouterSettings, renderNginxConfig } from "../../src/router/render-nginx-config.js";
import type { Backend, Endpoint, RouterTable, Site, SiteTls } from "../../src/router/route.js";
import { tlsFileName } from "../../src/router/tls-file-name.js";
import { FAKE_TLS, type HostRoute, prng, shuffled, tableOf } from "../support/router-table.js";

const settings: RouterSettings = {
  listenHosts: ["127.0.0.1"],
  port: 8080,
  httpsPort: 8443,
  stateDir: "/var/lib/berth/router",
  generation: 42,
  trustedProxies: [],
};

const app = (host: string, ...ports: number[]): HostRoute => ({
  host,
  endpoints: ports.map((port) => ({ address: "10.0.0.2", port })),
});

const render = (routes: HostRoute[], s: RouterSettings = settings) => renderNginxConfig(tableOf(routes), s);

/** The lines of the server block that contains `marker`. */
function block(conf: string, marker: string): string {
  const at = conf.indexOf(marker);
  expect(at, `missing ${marker}`).toBeGreaterThan(-1);
  const start = conf.lastIndexOf("  server {", at);
  return conf.slice(start, conf.indexOf("\n  }\n", at) + 4);
}

/** The body of `location <spec> {` inside `text`, up to its closing brace. */
function location(text: string, spec: string): string {
  const opening = `    location ${spec} {\n`;
  const at = text.indexOf(opening);
  expect(at, `missing location ${spec}`).toBeGreaterThan(-1);
  return text.slice(at + opening.length, text.indexOf("\n    }\n", at) + 1);
}

const pool = (release: number, ...endpoints: Endpoint[]) => ({ release, endpoints });
const ep = (address: string, port = 80): Endpoint => ({ address, port });
const rules = (r: Partial<TrafficRules>): TrafficRules => ({
  headers: [],
  cookie: null,
  sourceCidrs: [],
  weight: 0,
  ...r,
});

/** One backend "t/e/app" with a stable and a canary pool, served at "/" of app.example.com. */
function canaryTable(
  r: Partial<TrafficRules>,
  stable = pool(1, ep("10.0.0.2")),
  canary = pool(2, ep("10.0.0.3")),
) {
  const backend: Backend = { id: "t/e/app", stable, canary: { pool: canary, rules: rules(r), seed: "c7" } };
  const site: Site = {
    host: "app.example.com",
    tls: null,
    locations: [{ path: "/", backend: "t/e/app", redirectHttps: false }],
  };
  return { backends: [backend], sites: [site] };
}

/** The location body that serves backend t/e/app at "/". */
const served = (table: RouterTable, s = settings) =>
  location(block(renderNginxConfig(table, s), "server_name app.example.com;"), "/");

const PROXY = ["proxy_next_upstream error timeout http_502 http_503;", "proxy_next_upstream_tries 3;"];
const indent = (lines: string[]) => lines.map((l) => `      ${l}\n`).join("");

/** Follows the chain of maps from `$<b>_r0`: the rule each link yields, then where its default leads. */
function chainOf(conf: string, b: string): string[] {
  const out: string[] = [];
  let variable = `$${b}_r0`;
  for (let guard = 0; guard < 50; guard++) {
    const head = new RegExp(`  map (\\S+) \\${variable} \\{\\n([^}]*)  \\}`).exec(conf);
    if (!head) break;
    const body = head[2] as string;
    const rule = /^ {4}\S+ (\w+);$/m.exec(body.split("\n").slice(1).join("\n"))?.[1];
    out.push(`${head[1]}→${rule}`);
    variable = /default (\S+);/.exec(body)?.[1] ?? "";
    if (!variable.startsWith("$")) {
      out.push(variable);
      break;
    }
  }
  return out;
}

describe("renderNginxConfig", () => {
  it("renders a standalone config owned by the state dir", () => {
    const conf = render([]);
    expect(conf.startsWith("# generation 42 — rendered by Berth; do not edit\n")).toBe(true);
    expect(conf).toContain("daemon on;");
    expect(conf).toContain("worker_processes 1;");
    expect(conf).toContain("pid /var/lib/berth/router/nginx.pid;");
    expect(conf).toContain("error_log /var/lib/berth/router/error.log warn;");
    expect(conf).toContain("worker_connections 4096;");
    for (const kind of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) {
      expect(conf).toContain(`${kind}_temp_path /var/lib/berth/router/tmp/${kind};`);
    }
    expect(conf).toContain(
      "\n  log_format berth_v1 '$msec\\t$berth_app\\t$berth_release\\t$berth_rule\\t$status\\t",
    );
    expect(conf).toContain("\n  access_log /var/lib/berth/router/access.log berth_v1 buffer=64k flush=1s;\n");
    expect(conf).toContain("server_names_hash_bucket_size 128;");
    expect(conf).toContain("map $http_upgrade $connection_upgrade {");
    expect(conf).toContain("proxy_http_version 1.1;");
    expect(conf).not.toContain("upstream ");
    expect(conf).not.toContain("ssl");
    expect(conf).not.toContain("real_ip");
    expect(conf).not.toMatch(/map \$\S+ \$b\d/);
  });

  it("is deterministic: backends sorted by id, endpoints sorted and de-duplicated", () => {
    const routes: HostRoute[] = [
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
    const table = tableOf(routes); // web is t/e/0 (b0), api is t/e/1 (b1)
    const conf = renderNginxConfig(table, settings);
    const reversed: RouterTable = {
      backends: [...table.backends].reverse().map((b) => ({
        ...b,
        stable: b.stable && { ...b.stable, endpoints: [...b.stable.endpoints].reverse() },
      })),
      sites: [...table.sites].reverse(),
    };
    expect(renderNginxConfig(reversed, settings)).toBe(conf);
    expect(renderNginxConfig(structuredClone(table), settings)).toBe(conf);
    expect(conf).toContain(
      [
        "  upstream b1s {",
        "    server 10.0.0.9:3000 max_fails=1 fail_timeout=2s;",
        "    server 10.0.0.9:8080 max_fails=1 fail_timeout=2s;",
        "    server 10.0.0.10:8080 max_fails=1 fail_timeout=2s;",
        "    keepalive 256;",
        "    keepalive_timeout 60s;",
        "  }",
      ].join("\n"),
    );
    expect(conf).toContain(
      "  upstream b0s {\n    server 10.0.0.10:80 max_fails=1 fail_timeout=2s;\n    keepalive 256;",
    );
    expect(conf.indexOf("upstream b0s")).toBeLessThan(conf.indexOf("upstream b1s"));
    const api = block(conf, "server_name api.prod.acme.example.com;");
    expect(api).toContain("listen 127.0.0.1:8080;");
    expect(location(api, "/")).toBe(
      indent([
        'set $berth_app "t/e/1";',
        "set $berth_release 1;",
        "set $berth_rule stable;",
        "proxy_pass http://b1s;",
        ...PROXY,
      ]),
    );
    expect(block(conf, "server_name web.prod.zeta.example.com;")).toContain("proxy_pass http://b0s;");
    // Sites are sorted by host.
    expect(conf.indexOf("server_name api.")).toBeLessThan(conf.indexOf("server_name web."));
  });

  it("gives a route without endpoints no upstream and a 503 location", () => {
    const conf = render([app("idle.dev.acme.localhost")]);
    expect(conf).not.toContain("upstream ");
    const idle = block(conf, "server_name idle.dev.acme.localhost;");
    expect(location(idle, "/")).toBe(
      indent([
        'set $berth_app "t/e/0";',
        "set $berth_release 1;",
        "default_type text/plain;",
        'return 503 "no healthy instance of this app is running\\n";',
      ]),
    );
    expect(idle).not.toContain("proxy_pass");
  });

  it("has a default server answering 404", () => {
    const conf = render([app("a.b.c.localhost", 80)]);
    const fallback = block(conf, "listen 127.0.0.1:8080 default_server deferred;");
    expect(fallback).toContain("server_name _;");
    expect(fallback).toContain('return 404 "no app is routed at this host\\n";');
    // Access log fields are defined on every server, so the log line never shows a stale value.
    expect(fallback).toContain('set $berth_app "-";\n    set $berth_release "-";\n    set $berth_rule "-";');
  });

  it("serves the generation on the status socket", () => {
    const conf = render([], { ...settings, generation: 1765000000123 });
    const status = block(conf, "listen unix:/var/lib/berth/router/status.sock;");
    expect(status).toContain('location = /generation {\n      return 200 "1765000000123";');
    expect(status).toContain("access_log off;");
  });

  it("grows the server-name hash bucket for long host names nginx would otherwise refuse", () => {
    const label = "a".repeat(63);
    expect(render([app(`${label}.${label}.${label}.localhost`, 80)])).toContain(
      "server_names_hash_bucket_size 256;",
    );
    expect(render([app(`${label}.${label}.${label}.${"b".repeat(61)}`, 80)])).toContain(
      "server_names_hash_bucket_size 512;",
    );
  });

  describe("canary maps", () => {
    const all = canaryTable({
      headers: [
        { name: "X-Dept", value: "eng" },
        { name: "X-Beta", value: "1.0+b" },
        { name: "x-dept", value: "ops" },
      ],
      cookie: { name: "canary", value: "yes" },
      sourceCidrs: ["2001:db8::/32", "10.20.0.0/16"],
      weight: 25,
    });

    it("renders the whole chain: one map per header, the cookie, a geo for CIDRs, split_clients", () => {
      const conf = renderNginxConfig(all, settings);
      const start = conf.indexOf("  upstream b0s {");
      const end = conf.indexOf("  server {");
      expect(conf.slice(start, end)).toBe(
        [
          "  upstream b0s {",
          "    server 10.0.0.2:80 max_fails=1 fail_timeout=2s;",
          "    keepalive 256;",
          "    keepalive_timeout 60s;",
          "  }",
          "",
          "  upstream b0c {",
          "    server 10.0.0.3:80 max_fails=1 fail_timeout=2s;",
          "    keepalive 256;",
          "    keepalive_timeout 60s;",
          "  }",
          "",
          "  geo $b0_ip {",
          "    default 0;",
          "    10.20.0.0/16 1;",
          "    2001:db8::/32 1;",
          "  }",
          '  split_clients "${berth_seed}c7" $b0_w {',
          "    25% 1;",
          "    * 0;",
          "  }",
          "  map $b0_w $b0_wr {",
          "    default stable;",
          "    1 weight;",
          "  }",
          "  map $http_x_beta $b0_r0 {",
          "    default $b0_r1;",
          '    "~^1[.]0[+]b$" header;',
          "  }",
          "  map $http_x_dept $b0_r1 {",
          "    default $b0_r2;",
          '    "~^eng$" header;',
          '    "~^ops$" header;',
          "  }",
          "  map $cookie_canary $b0_r2 {",
          "    default $b0_r3;",
          '    "~^yes$" cookie;',
          "  }",
          "  map $b0_ip $b0_r3 {",
          "    default $b0_wr;",
          '    "1" cidr;',
          "  }",
          "  map $b0_r0 $b0_up {",
          "    default b0c;",
          "    stable b0s;",
          "  }",
          "  map $b0_r0 $b0_rel {",
          "    default 2;",
          "    stable 1;",
          "  }",
          "",
          "",
        ].join("\n"),
      );
    });

    it("chains the rules in precedence order: header, cookie, CIDR, weight, then stable", () => {
      expect(chainOf(renderNginxConfig(all, settings), "b0")).toEqual([
        "$http_x_beta→header",
        "$http_x_dept→header",
        "$cookie_canary→cookie",
        "$b0_ip→cidr",
        "$b0_w→weight",
        "stable",
      ]);
      const noHeaders = canaryTable({ cookie: { name: "c", value: "1" }, sourceCidrs: ["10.0.0.0/8"] });
      expect(chainOf(renderNginxConfig(noHeaders, settings), "b0")).toEqual([
        "$cookie_c→cookie",
        "$b0_ip→cidr",
        "stable",
      ]);
      const headerAndFull = canaryTable({ headers: [{ name: "X-A", value: "1" }], weight: 100 });
      expect(chainOf(renderNginxConfig(headerAndFull, settings), "b0")).toEqual([
        "$http_x_a→header",
        "weight",
      ]);
    });

    it("serves the chosen upstream and release and credits the deciding rule", () => {
      expect(served(all)).toBe(
        indent([
          'set $berth_app "t/e/app";',
          "set $berth_release $b0_rel;",
          "set $berth_rule $b0_r0;",
          "proxy_pass http://$b0_up;",
          ...PROXY,
          "add_header Set-Cookie $berth_seed_cookie always;",
        ]),
      );
      // Without a weight split there is no stickiness cookie to hand out.
      const headerOnly = canaryTable({ headers: [{ name: "X-A", value: "1" }] });
      expect(served(headerOnly)).not.toContain("Set-Cookie");
      expect(renderNginxConfig(headerOnly, settings)).not.toContain("split_clients");
    });

    it("matches tag values exactly and case-sensitively, escaping regex characters", () => {
      const conf = renderNginxConfig(
        canaryTable({ headers: [{ name: "X-V", value: "a.b+c~d=e/f:g@h-i_j" }] }),
        settings,
      );
      expect(conf).toContain('    "~^a[.]b[+]c~d=e/f:g@h-i_j$" header;');
      const pattern = new RegExp(/"~(.*)" header;/.exec(conf)?.[1] ?? "(?!)");
      expect(pattern.test("a.b+c~d=e/f:g@h-i_j")).toBe(true);
      for (const near of [
        "A.b+c~d=e/f:g@h-i_j",
        "aXb+c~d=e/f:g@h-i_j",
        "a.bbc~d=e/f:g@h-i_j",
        "a.b+c~d=e/f:g@h-i_jk",
        "xa.b+c~d=e/f:g@h-i_j",
      ]) {
        expect(pattern.test(near), near).toBe(false);
      }
    });

    it("renders weight 0 without other rules as the stable upstream, fixed", () => {
      const table = canaryTable({ weight: 0 });
      const conf = renderNginxConfig(table, settings);
      expect(served(table)).toBe(
        indent([
          'set $berth_app "t/e/app";',
          "set $berth_release 1;",
          "set $berth_rule stable;",
          "proxy_pass http://b0s;",
          ...PROXY,
        ]),
      );
      expect(conf).not.toMatch(/\$b0_/);
      expect(conf).not.toContain("split_clients");
    });

    it("renders weight 100 without other rules as the canary upstream, credited to weight", () => {
      const table = canaryTable({ weight: 100 });
      expect(served(table)).toBe(
        indent([
          'set $berth_app "t/e/app";',
          "set $berth_release 2;",
          "set $berth_rule weight;",
          "proxy_pass http://b0c;",
          ...PROXY,
        ]),
      );
      expect(renderNginxConfig(table, settings)).not.toMatch(/\$b0_|split_clients/);
    });

    it("serves only the stable release while the canary has no healthy endpoint", () => {
      const table = canaryTable({ headers: [{ name: "X-A", value: "1" }], weight: 50 }, undefined, pool(2));
      const conf = renderNginxConfig(table, settings);
      expect(conf).not.toContain("upstream b0c");
      expect(conf).not.toMatch(/\$b0_|split_clients/);
      expect(served(table)).toBe(
        indent([
          'set $berth_app "t/e/app";',
          "set $berth_release 1;",
          "set $berth_rule stable;",
          "proxy_pass http://b0s;",
          ...PROXY,
        ]),
      );
    });

    it("routes everything to a healthy canary while the stable release has no endpoint", () => {
      for (const stable of [pool(1), null]) {
        const table = canaryTable({ headers: [{ name: "X-A", value: "1" }], weight: 10 }, stable as never);
        const conf = renderNginxConfig(table, settings);
        expect(conf).not.toContain("upstream b0s");
        expect(conf).not.toMatch(/\$b0_|split_clients/);
        expect(served(table)).toBe(
          indent([
            'set $berth_app "t/e/app";',
            "set $berth_release 2;",
            "set $berth_rule stable;",
            "proxy_pass http://b0c;",
            ...PROXY,
          ]),
        );
      }
    });

    it("answers 503 for a backend with no endpoint anywhere", () => {
      const empty = canaryTable({ weight: 50 }, pool(1), pool(2));
      expect(served(empty)).toBe(
        indent([
          'set $berth_app "t/e/app";',
          "set $berth_release 1;",
          "default_type text/plain;",
          'return 503 "no healthy instance of this app is running\\n";',
        ]),
      );
      const nothing: RouterTable = {
        backends: [{ id: "t/e/app", stable: null, canary: null }],
        sites: canaryTable({}).sites,
      };
      expect(served(nothing)).toBe(
        indent([
          'set $berth_app "t/e/app";',
          "default_type text/plain;",
          'return 503 "no healthy instance of this app is running\\n";',
        ]),
      );
      expect(renderNginxConfig(nothing, settings)).not.toContain("upstream ");
    });
  });

  describe("sites", () => {
    const backends: Backend[] = [
      { id: "t/e/web", stable: pool(1, ep("10.0.0.2")), canary: null },
      { id: "t/e/api", stable: pool(5, ep("10.0.0.5")), canary: null },
    ];

    it("renders a custom path as an exact and a prefix location, next to /", () => {
      const table: RouterTable = {
        backends,
        sites: [
          {
            host: "shop.example.com",
            tls: null,
            locations: [
              { path: "/api", backend: "t/e/api", redirectHttps: false },
              { path: "/", backend: "t/e/web", redirectHttps: false },
            ],
          },
        ],
      };
      const shop = block(renderNginxConfig(table, settings), "server_name shop.example.com;");
      // Backends sort by id: t/e/api is b0, t/e/web is b1.
      const api = indent([
        'set $berth_app "t/e/api";',
        "set $berth_release 5;",
        "set $berth_rule stable;",
        "proxy_pass http://b0s;",
        ...PROXY,
      ]);
      expect(location(shop, "= /api")).toBe(api);
      expect(location(shop, "/api/")).toBe(api);
      expect(location(shop, "/")).toContain("proxy_pass http://b1s;");
      expect(shop.indexOf("location / {")).toBeLessThan(shop.indexOf("location = /api {"));
      expect(shop.match(/location /g)).toHaveLength(3);
    });

    it("gives a site without / a 404 location for everything else", () => {
      const table: RouterTable = {
        backends,
        sites: [
          {
            host: "api.example.com",
            tls: null,
            locations: [{ path: "/v1", backend: "t/e/api", redirectHttps: false }],
          },
        ],
      };
      const site = block(renderNginxConfig(table, settings), "server_name api.example.com;");
      expect(location(site, "/")).toBe(
        indent(["default_type text/plain;", 'return 404 "no app is routed at this path\\n";']),
      );
      expect(location(site, "= /v1")).toContain("proxy_pass http://b0s;");
    });

    const tls: SiteTls = FAKE_TLS;
    const tlsTable = (redirectHttps: boolean): RouterTable => ({
      backends,
      sites: [
        {
          host: "secure.example.com",
          tls,
          locations: [
            { path: "/", backend: "t/e/web", redirectHttps },
            { path: "/api", backend: "t/e/api", redirectHttps: false },
          ],
        },
        {
          host: "plain.example.com",
          tls: null,
          locations: [{ path: "/", backend: "t/e/web", redirectHttps: true }],
        },
      ],
    });

    it("serves a TLS site on the HTTPS port with its content-named certificate file", () => {
      const conf = renderNginxConfig(tlsTable(false), { ...settings, listenHosts: ["127.0.0.1", "[::1]"] });
      const file = tlsFileName(tls);
      expect(file).toMatch(/^[0-9a-f]{32}\.pem$/);
      expect(tlsFileName({ ...tls, certPem: tls.certPem.replace("AAAA", "AAAB") })).not.toBe(file);
      const secure = block(conf, "listen 127.0.0.1:8443 ssl;");
      expect(secure).toContain(
        [
          "    listen 127.0.0.1:8443 ssl;",
          "    listen [::1]:8443 ssl;",
          "    server_name secure.example.com;",
          `    ssl_certificate /var/lib/berth/router/tls/${file};`,
          `    ssl_certificate_key /var/lib/berth/router/tls/${file};`,
        ].join("\n"),
      );
      expect(location(secure, "/")).toContain("proxy_pass http://b1s;");
      expect(location(secure, "= /api")).toContain("proxy_pass http://b0s;");
      // The plain server for the same host still serves the app; a PEM never reaches the config.
      expect(
        location(block(conf, "listen 127.0.0.1:8080;\n    listen [::1]:8080;\n    server_name secure."), "/"),
      ).toContain("proxy_pass http://b1s;");
      expect(conf).not.toContain("MIIB");
      // Unknown TLS names are refused during the handshake instead of getting some site's certificate.
      const fallback = block(conf, "listen 127.0.0.1:8443 ssl default_server deferred;");
      expect(fallback).toContain("listen [::1]:8443 ssl default_server deferred;");
      expect(fallback).toContain("ssl_reject_handshake on;");
      expect(fallback).toContain("return 444;");
      expect(conf.match(/ssl_certificate /g)).toHaveLength(1);
    });

    it("answers plain HTTP with a 308 to HTTPS where a TLS location asks for it", () => {
      const conf = renderNginxConfig(tlsTable(true), settings);
      const plain = block(conf, "listen 127.0.0.1:8080;\n    server_name secure.example.com;");
      expect(location(plain, "/")).toBe(indent(["return 308 https://$host:8443$request_uri;"]));
      expect(location(plain, "= /api")).toContain("proxy_pass http://b0s;");
      expect(location(block(conf, "listen 127.0.0.1:8443 ssl;"), "/")).toContain("proxy_pass http://b1s;");
      // Without a certificate there is nothing to redirect to: the flag is ignored.
      expect(location(block(conf, "server_name plain.example.com;"), "/")).toContain(
        "proxy_pass http://b1s;",
      );
      expect(conf.match(/return 308/g)).toHaveLength(1);
      const on443 = renderNginxConfig(tlsTable(true), { ...settings, httpsPort: 443 });
      expect(on443).toContain("return 308 https://$host$request_uri;");
      expect(on443).toContain("listen 127.0.0.1:443 ssl;");
    });

    it("has no HTTPS default server while no site has a certificate", () => {
      const conf = renderNginxConfig({ backends, sites: [tlsTable(true).sites[1] as Site] }, settings);
      expect(conf).not.toMatch(/ssl|8443|return 308/);
    });
  });

  it("believes X-Forwarded-For only from trusted proxies, sorted", () => {
    const conf = render([], { ...settings, trustedProxies: ["192.168.0.0/16", "10.0.0.0/8", "fd00::/8"] });
    expect(conf).toContain(
      [
        "  set_real_ip_from 10.0.0.0/8;",
        "  set_real_ip_from 192.168.0.0/16;",
        "  set_real_ip_from fd00::/8;",
        "  real_ip_header X-Forwarded-For;",
        "  real_ip_recursive on;",
      ].join("\n"),
    );
    expect(conf.match(/real_ip_header/g)).toHaveLength(1);
  });

  it("writes every CIDR the API accepts so that nginx can read it", () => {
    // Upper-case and IPv4-tailed IPv6 pass the API's Cidr; nginx reads them as they are.
    const table = canaryTable({ sourceCidrs: ["2001:DB8::/32", "::ffff:10.1.2.3/128"] });
    expect(renderNginxConfig(table, settings)).toContain(
      "    2001:DB8::/32 1;\n    ::ffff:10.1.2.3/128 1;\n",
    );
    // nginx takes the address 255.255.255.255 for its parse error: spelled in hex, or left out
    // when it is the IPv4 limited broadcast (never the source of a connection).
    const broadcast = canaryTable({
      headers: [{ name: "X-A", value: "1" }],
      sourceCidrs: ["255.255.255.255/32", "::ffff:255.255.255.255/128"],
    });
    const conf = renderNginxConfig(broadcast, settings);
    expect(conf).toContain("  geo $b0_ip {\n    default 0;\n    ::ffff:ffff:ffff/128 1;\n  }");
    expect(conf).not.toContain("255.255.255.255");
    const onlyBroadcast = renderNginxConfig(
      canaryTable({ headers: [{ name: "X-A", value: "1" }], sourceCidrs: ["255.255.255.255/32"] }),
      settings,
    );
    expect(onlyBroadcast).not.toMatch(/geo|cidr/);
    expect(chainOf(onlyBroadcast, "b0")).toEqual(["$http_x_a→header", "stable"]);
    const proxies = render([], {
      ...settings,
      trustedProxies: ["255.255.255.255/32", "::255.255.255.255/128", "fd00::/8"],
    });
    expect(proxies).toContain(
      "  set_real_ip_from ::ffff:ffff/128;\n  set_real_ip_from fd00::/8;\n  real_ip_header",
    );
    expect(render([], { ...settings, trustedProxies: ["255.255.255.255/32"] })).not.toContain("real_ip");
  });

  it("refuses malformed IPv6 CIDRs and non-JSON values with the same clear error", () => {
    for (const cidr of ["1:::2/128", "1::2::3/128", "1:2:3:4:5:6:7:8:9/128", "fe80::1%eth0/128", "::/129"]) {
      expect(() => renderNginxConfig(canaryTable({ sourceCidrs: [cidr] }), settings)).toThrow(
        `router: refusing to render invalid source CIDR for t/e/app ${JSON.stringify(cidr)}`,
      );
    }
    expect(() => render([], { ...settings, port: 8080n as never })).toThrow(
      "router: refusing to render invalid listen port 8080n",
    );
  });

  it("listens on every listen host, in every server", () => {
    const hosts = ["127.0.0.1", "[::1]", "10.1.2.3"];
    const conf = renderNginxConfig(tableOf([app("a.example.com", 80)]), { ...settings, listenHosts: hosts });
    const expected = (suffix: string) => hosts.map((h) => `    listen ${h}:8080${suffix};`).join("\n");
    expect(block(conf, "server_name a.example.com;")).toContain(
      `${expected("")}\n    server_name a.example.com;`,
    );
    expect(block(conf, "server_name _;")).toContain(
      `${expected(" default_server deferred")}\n    server_name _;`,
    );
    expect(conf.match(/ listen /g)).toHaveLength(7); // 3 + 3 + the status socket
  });

  it("renders the same text for the same table in any order", () => {
    const table: RouterTable = {
      backends: [
        {
          id: "acme/prod/web",
          stable: pool(3, ep("10.0.0.2", 8080), ep("10.0.0.10", 80), ep("10.0.0.2", 81)),
          canary: {
            pool: pool(4, ep("10.0.1.2"), ep("10.0.1.1")),
            seed: "c9",
            rules: rules({
              headers: [
                { name: "X-Dept", value: "ops" },
                { name: "X-Beta", value: "1" },
                { name: "X-Dept", value: "eng" },
              ],
              cookie: { name: "canary", value: "on" },
              sourceCidrs: ["10.20.0.0/16", "2001:db8::/32", "192.168.0.0/24"],
              weight: 30,
            }),
          },
        },
        { id: "acme/prod/api", stable: pool(1, ep("10.0.0.7")), canary: null },
        { id: "zeta/dev/app", stable: null, canary: null },
      ],
      sites: [
        {
          host: "www.acme.example",
          tls: FAKE_TLS,
          locations: [
            { path: "/", backend: "acme/prod/web", redirectHttps: true },
            { path: "/api", backend: "acme/prod/api", redirectHttps: false },
            { path: "/api/v2", backend: "acme/prod/web", redirectHttps: false },
          ],
        },
        {
          host: "app.zeta.example",
          tls: null,
          locations: [{ path: "/", backend: "zeta/dev/app", redirectHttps: false }],
        },
      ],
    };
    const s = { ...settings, trustedProxies: ["10.0.0.0/8", "172.16.0.0/12"] };
    const conf = renderNginxConfig(table, s);
    const rand = prng(7);
    for (let round = 0; round < 25; round++) {
      const shuffledTable: RouterTable = {
        backends: shuffled(table.backends, rand).map((b) => ({
          ...b,
          stable: b.stable && { ...b.stable, endpoints: shuffled(b.stable.endpoints, rand) },
          canary: b.canary && {
            ...b.canary,
            pool: { ...b.canary.pool, endpoints: shuffled(b.canary.pool.endpoints, rand) },
            rules: {
              ...b.canary.rules,
              headers: shuffled(b.canary.rules.headers, rand),
              sourceCidrs: shuffled(b.canary.rules.sourceCidrs, rand),
            },
          },
        })),
        sites: shuffled(table.sites, rand).map((site) => ({
          ...site,
          locations: shuffled(site.locations, rand),
        })),
      };
      expect(
        renderNginxConfig(shuffledTable, { ...s, trustedProxies: shuffled(s.trustedProxies, rand) }),
      ).toBe(conf);
    }
    expect(renderNginxConfig(table, { ...s, generation: 43 })).not.toBe(conf);
  });

  describe("refuses hostile or malformed values, naming them", () => {
    const addr = (address: string): HostRoute => ({
      host: "a.example.com",
      endpoints: [{ address, port: 80 }],
    });
    const hostile: [string, () => HostRoute[], string][] = [
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
      expect(() => render(routes())).toThrow(/^router: refusing to render invalid /);
      expect(() => render(routes())).toThrow(named);
    });

    it("two routes for one host", () => {
      expect(() => render([app("a.example.com", 80), app("a.example.com", 81)])).toThrow(
        'site host (duplicate) "a.example.com"',
      );
    });

    it("two locations for one path, and a location for an unknown backend", () => {
      const table = tableOf([app("a.example.com", 80)]);
      const site = table.sites[0] as Site;
      site.locations.push({ path: "/", backend: "t/e/0", redirectHttps: false });
      expect(() => renderNginxConfig(table, settings)).toThrow('path for a.example.com (duplicate) "/"');
      site.locations = [{ path: "/", backend: "t/e/9", redirectHttps: false }];
      expect(() => renderNginxConfig(table, settings)).toThrow('backend for a.example.com/ "t/e/9"');
    });

    const badSettings: [string, Partial<RouterSettings>, string][] = [
      ["state dir with a space", { stateDir: "/var/lib/berth router" }, "/var/lib/berth router"],
      ["state dir with a semicolon", { stateDir: "/var/lib/berth;router" }, "/var/lib/berth;router"],
      ["relative state dir", { stateDir: "var/lib/berth" }, "var/lib/berth"],
      ["state dir with ..", { stateDir: "/var/lib/../etc" }, "/var/lib/../etc"],
      [
        "state dir too long for the status socket",
        { stateDir: `/${"d".repeat(95)}` },
        "too long for a socket",
      ],
      ["listen host with a directive", { listenHosts: ["0.0.0.0:80; x"] }, "0.0.0.0:80; x"],
      ["listen host name", { listenHosts: ["127.0.0.1", "example.com"] }, "example.com"],
      ["no listen host", { listenHosts: [] }, "listen host list"],
      ["listen port 0", { port: 0 }, "0"],
      ["HTTPS port 65536", { httpsPort: 65536 }, "HTTPS port 65536"],
      ["HTTPS port equal to the HTTP port", { httpsPort: 8080 }, "same as the HTTP port"],
      ["fractional generation", { generation: 1.5 }, "1.5"],
      [
        "trusted proxy with a directive",
        { trustedProxies: ["10.0.0.0/8; allow all"] },
        "10.0.0.0/8; allow all",
      ],
      ["trusted proxy with host bits", { trustedProxies: ["10.1.2.3/8"] }, "10.1.2.3/8"],
    ];
    it.each(badSettings)("%s", (_, override, named) => {
      expect(() => render([], { ...settings, ...override })).toThrow(/^router: refusing to render invalid /);
      expect(() => render([], { ...settings, ...override })).toThrow(named);
    });

    it("accepts the allowed listen hosts", () => {
      for (const host of ["0.0.0.0", "127.0.0.1", "localhost", "[::1]", "[::]"]) {
        expect(render([], { ...settings, listenHosts: [host] })).toContain(
          `listen ${host}:8080 default_server deferred;`,
        );
      }
    });
  });
});
