import { renderCanarySplit } from "./render-canary-maps.js";
import type { Backend, Pool, RouterTable, Site } from "./route.js";
import type { RouterSettings } from "./router-settings.js";
import { tlsFileName } from "./tls-file-name.js";
import { nginxCidrs, validateRouterSettings, validateRouterTable } from "./validate-router-input.js";

export type { RouterSettings } from "./router-settings.js";

const NO_INSTANCE_BODY = "no healthy instance of this app is running\\n";
const NO_APP_BODY = "no app is routed at this host\\n";
const NO_PATH_BODY = "no app is routed at this path\\n";
export const SEED_COOKIE_MAX_AGE_S = 30 * 24 * 3600;

/**
 * One line per request, TAB-separated, machine-read by Berth for canary metrics (src/metrics):
 * time, backend id, release, deciding rule, status, request time, upstream time; then free text.
 */
export const ACCESS_LOG_FORMAT =
  '$msec\\t$berth_app\\t$berth_release\\t$berth_rule\\t$status\\t$request_time\\t$upstream_response_time\\t$remote_addr\\t$host\\t"$request"';

/**
 * nginx refuses to start when a server name does not fit a hash bucket
 * (16 bytes of overhead plus the name and a NUL, 8-aligned). Keep 128, grow for long names.
 */
function serverNamesBucketSize(sites: readonly Site[]): number {
  const longest = Math.max(0, ...sites.map((s) => s.host.length));
  const needed = 16 + Math.ceil((longest + 2) / 8) * 8;
  let size = 128;
  while (size < needed) size *= 2;
  return size;
}

const hasEndpoints = (p: Pool | null | undefined): p is Pool => !!p && p.endpoints.length > 0;

function upstreamBlock(name: string, pool: Pool): string[] {
  return [
    `  upstream ${name} {`,
    ...pool.endpoints.map((e) => `    server ${e.address}:${e.port} max_fails=1 fail_timeout=2s;`),
    // Enough idle connections for every concurrent client of a busy app: a connection opened
    // per request costs far more than the request. A reload starts fresh pools, so connections
    // to retired containers never outlive the config that named them.
    "    keepalive 256;",
    "    keepalive_timeout 60s;",
    "  }",
    "",
  ];
}

const PROXY_TAIL = ["proxy_next_upstream error timeout http_502 http_503;", "proxy_next_upstream_tries 3;"];

interface RenderedBackend {
  http: string[];
  /** Directives of a location that serves this backend. */
  location: string[];
}

function renderBackend(b: Backend, index: number): RenderedBackend {
  const name = `b${index}`;
  const app = [`set $berth_app "${b.id}";`];
  const http: string[] = [];
  const stable = hasEndpoints(b.stable) ? b.stable : null;
  const canary = b.canary && hasEndpoints(b.canary.pool) ? b.canary : null;
  if (stable) http.push(...upstreamBlock(`${name}s`, stable));
  if (canary) http.push(...upstreamBlock(`${name}c`, canary.pool));
  const fixed = (upstream: string, release: number, rule: string) => [
    ...app,
    `set $berth_release ${release};`,
    `set $berth_rule ${rule};`,
    `proxy_pass http://${upstream};`,
    ...PROXY_TAIL,
  ];
  if (!stable && !canary) {
    const release = b.stable ? [`set $berth_release ${b.stable.release};`] : [];
    return {
      http,
      location: [...app, ...release, "default_type text/plain;", `return 503 "${NO_INSTANCE_BODY}";`],
    };
  }
  // With the stable release down, serving the healthy canary beats answering nothing.
  if (!canary) return { http, location: fixed(`${name}s`, (stable as Pool).release, "stable") };
  if (!stable) return { http, location: fixed(`${name}c`, canary.pool.release, "stable") };
  const split = renderCanarySplit(name, canary, { stable: `${name}s`, canary: `${name}c` }, stable.release);
  if (split.kind === "fixed") {
    const side = split.side === "stable" ? stable : canary.pool;
    return {
      http,
      location: fixed(`${name}${split.side === "stable" ? "s" : "c"}`, side.release, split.rule),
    };
  }
  http.push(...split.lines);
  const sticky =
    canary.rules.weight > 0 && canary.rules.weight < 100
      ? ["add_header Set-Cookie $berth_seed_cookie always;"]
      : [];
  return {
    http,
    location: [
      ...app,
      `set $berth_release ${split.releaseVar};`,
      `set $berth_rule ${split.ruleVar};`,
      `proxy_pass http://${split.upstreamVar};`,
      ...PROXY_TAIL,
      ...sticky,
    ],
  };
}

const LOG_DEFAULTS = ['set $berth_app "-";', 'set $berth_release "-";', 'set $berth_rule "-";'];

function locationBlocks(path: string, body: string[]): string[] {
  const inner = body.map((l) => `      ${l}`);
  if (path === "/") return ["    location / {", ...inner, "    }"];
  return [`    location = ${path} {`, ...inner, "    }", `    location ${path}/ {`, ...inner, "    }"];
}

function serverBlock(
  site: Site,
  listens: string[],
  backends: ReadonlyMap<string, RenderedBackend>,
  settings: RouterSettings,
  https: boolean,
): string[] {
  const port = settings.httpsPort === 443 ? "" : `:${settings.httpsPort}`;
  const tls = https && site.tls ? tlsFileName(site.tls) : null;
  const locations = site.locations.flatMap((l) => {
    const body =
      !https && l.redirectHttps
        ? [`return 308 https://$host${port}$request_uri;`]
        : (backends.get(l.backend) as RenderedBackend).location;
    return locationBlocks(l.path, body);
  });
  const hasRoot = site.locations.some((l) => l.path === "/");
  return [
    "  server {",
    ...listens.map((l) => `    listen ${l};`),
    `    server_name ${site.host};`,
    ...(tls
      ? [
          `    ssl_certificate ${settings.stateDir}/tls/${tls};`,
          `    ssl_certificate_key ${settings.stateDir}/tls/${tls};`,
        ]
      : []),
    ...LOG_DEFAULTS.map((l) => `    ${l}`),
    ...locations,
    ...(hasRoot
      ? []
      : [
          "    location / {",
          "      default_type text/plain;",
          `      return 404 "${NO_PATH_BODY}";`,
          "    }",
        ]),
    "  }",
    "",
  ];
}

/**
 * Renders Berth's whole nginx.conf from data. Pure and deterministic: the table is validated
 * and sorted first, and any value outside its allow-list throws, so no input can ever add an
 * nginx directive.
 */
export function renderNginxConfig(table: RouterTable, settings: RouterSettings): string {
  validateRouterSettings(settings);
  const { backends, sites } = validateRouterTable(table);
  const { stateDir, generation } = settings;
  const rendered = new Map(backends.map((b, i) => [b.id, renderBackend(b, i)]));
  const http = (suffix = "") => settings.listenHosts.map((h) => `${h}:${settings.port}${suffix}`);
  const tlsListen = (suffix = "") =>
    settings.listenHosts.map((h) => `${h}:${settings.httpsPort} ssl${suffix}`);
  const anyTls = sites.some((s) => s.tls !== null);
  const servers = sites.flatMap((s) => [
    ...serverBlock(s, http(), rendered, settings, false),
    ...(s.tls ? serverBlock(s, tlsListen(), rendered, settings, true) : []),
  ]);
  const trustedProxies = nginxCidrs(settings.trustedProxies).sort();
  const realIp =
    trustedProxies.length === 0
      ? []
      : [
          ...trustedProxies.map((c) => `  set_real_ip_from ${c};`),
          "  real_ip_header X-Forwarded-For;",
          "  real_ip_recursive on;",
          "",
        ];
  return [
    `# generation ${generation} — rendered by Berth; do not edit`,
    "daemon on;",
    "worker_processes 1;",
    "pcre_jit on;",
    `pid ${stateDir}/nginx.pid;`,
    `error_log ${stateDir}/error.log warn;`,
    "",
    "events {",
    "  worker_connections 4096;",
    "}",
    "",
    "http {",
    `  client_body_temp_path ${stateDir}/tmp/client_body;`,
    `  proxy_temp_path ${stateDir}/tmp/proxy;`,
    `  fastcgi_temp_path ${stateDir}/tmp/fastcgi;`,
    `  uwsgi_temp_path ${stateDir}/tmp/uwsgi;`,
    `  scgi_temp_path ${stateDir}/tmp/scgi;`,
    "",
    `  log_format berth_v1 '${ACCESS_LOG_FORMAT}';`,
    `  access_log ${stateDir}/access.log berth_v1 buffer=64k flush=1s;`,
    "",
    "  server_tokens off;",
    `  server_names_hash_bucket_size ${serverNamesBucketSize(sites)};`,
    "  server_names_hash_max_size 4096;",
    "  variables_hash_bucket_size 128;",
    "  variables_hash_max_size 4096;",
    "  map_hash_bucket_size 128;",
    "  client_max_body_size 100m;",
    "  keepalive_timeout 65s;",
    "",
    "  proxy_http_version 1.1;",
    "  proxy_connect_timeout 5s;",
    "  proxy_send_timeout 60s;",
    "  proxy_read_timeout 120s;",
    "",
    ...realIp,
    "  map $http_upgrade $connection_upgrade {",
    "    default upgrade;",
    "    '' '';",
    "  }",
    "",
    "  # Weight stickiness: a client keeps one random seed; a canary hashes it with its own id.",
    "  map $cookie_berth_seed $berth_seed {",
    '    "" $request_id;',
    "    default $cookie_berth_seed;",
    "  }",
    "  map $cookie_berth_seed $berth_seed_cookie {",
    `    "" "berth_seed=$request_id; Path=/; Max-Age=${SEED_COOKIE_MAX_AGE_S}; HttpOnly; SameSite=Lax";`,
    '    default "";',
    "  }",
    "",
    "  proxy_set_header Host $http_host;",
    "  proxy_set_header Upgrade $http_upgrade;",
    "  proxy_set_header Connection $connection_upgrade;",
    "  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "  proxy_set_header X-Forwarded-Proto $scheme;",
    "",
    ...[...rendered.values()].flatMap((r) => r.http),
    ...servers,
    "  server {",
    // Socket options go on one listen per address (nginx refuses them twice). `deferred`: a
    // connection is accepted only once its request arrived, so a worker that quits on reload
    // never holds an accepted connection that has not been read yet.
    ...http(" default_server deferred").map((l) => `    listen ${l};`),
    "    server_name _;",
    ...LOG_DEFAULTS.map((l) => `    ${l}`),
    "    default_type text/plain;",
    `    return 404 "${NO_APP_BODY}";`,
    "  }",
    "",
    ...(anyTls
      ? [
          "  server {",
          ...tlsListen(" default_server deferred").map((l) => `    listen ${l};`),
          "    server_name _;",
          "    ssl_reject_handshake on;",
          ...LOG_DEFAULTS.map((l) => `    ${l}`),
          "    return 444;",
          "  }",
          "",
        ]
      : []),
    "  server {",
    `    listen unix:${stateDir}/status.sock;`,
    "    access_log off;",
    ...LOG_DEFAULTS.map((l) => `    ${l}`),
    "    default_type text/plain;",
    "    location = /generation {",
    `      return 200 "${generation}";`,
    "    }",
    "    location / {",
    "      return 404;",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}
