import type { Route } from "./route.js";
import type { RouterSettings } from "./router-settings.js";
import { validateRouterSettings, validateRoutes } from "./validate-router-input.js";

export type { RouterSettings } from "./router-settings.js";

const NO_INSTANCE_BODY = "no healthy instance of this app is running\\n";
const NO_APP_BODY = "no app is routed at this host\\n";

/**
 * nginx refuses to start when a server name does not fit a hash bucket
 * (16 bytes of overhead plus the name and a NUL, 8-aligned). Keep 128, grow for long names.
 */
function serverNamesBucketSize(routes: readonly Route[]): number {
  const longest = Math.max(0, ...routes.map((r) => r.host.length));
  const needed = 16 + Math.ceil((longest + 2) / 8) * 8;
  let size = 128;
  while (size < needed) size *= 2;
  return size;
}

function upstreamBlock(name: string, route: Route): string[] {
  return [
    `  upstream ${name} {`,
    ...route.endpoints.map((e) => `    server ${e.address}:${e.port} max_fails=1 fail_timeout=2s;`),
    "    keepalive 16;",
    "    keepalive_timeout 4s;",
    "  }",
    "",
  ];
}

function serverBlock(name: string, route: Route, listen: string): string[] {
  const location =
    route.endpoints.length === 0
      ? ["      default_type text/plain;", `      return 503 "${NO_INSTANCE_BODY}";`]
      : [
          `      proxy_pass http://${name};`,
          "      proxy_next_upstream error timeout http_502 http_503;",
          "      proxy_next_upstream_tries 3;",
        ];
  return [
    "  server {",
    `    listen ${listen};`,
    `    server_name ${route.host};`,
    "    location / {",
    ...location,
    "    }",
    "  }",
    "",
  ];
}

/**
 * Renders Berth's whole nginx.conf from data. Pure and deterministic: routes are sorted by host,
 * endpoints by address and port. Every value is checked against an allow-list first and any
 * violation throws, so no input can ever add an nginx directive.
 */
export function renderNginxConfig(routes: Route[], settings: RouterSettings): string {
  validateRouterSettings(settings);
  const sorted = validateRoutes(routes);
  const { stateDir, generation } = settings;
  const listen = `${settings.listenHost}:${settings.port}`;
  const upstreams = sorted.flatMap((r, i) => (r.endpoints.length > 0 ? upstreamBlock(`u${i}`, r) : []));
  const servers = sorted.flatMap((r, i) => serverBlock(`u${i}`, r, listen));
  return [
    `# generation ${generation} — rendered by Berth; do not edit`,
    "daemon on;",
    "worker_processes 1;",
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
    '  log_format berth \'$time_iso8601 $remote_addr "$host" "$request" $status $body_bytes_sent \'',
    '                   \'$request_time "$upstream_addr" "$upstream_status"\';',
    `  access_log ${stateDir}/access.log berth;`,
    "",
    "  server_tokens off;",
    `  server_names_hash_bucket_size ${serverNamesBucketSize(sorted)};`,
    "  server_names_hash_max_size 4096;",
    "  client_max_body_size 100m;",
    "  keepalive_timeout 65s;",
    "",
    "  proxy_http_version 1.1;",
    "  proxy_connect_timeout 5s;",
    "  proxy_send_timeout 60s;",
    "  proxy_read_timeout 120s;",
    "",
    "  map $http_upgrade $connection_upgrade {",
    "    default upgrade;",
    "    '' '';",
    "  }",
    "",
    "  proxy_set_header Host $http_host;",
    "  proxy_set_header Upgrade $http_upgrade;",
    "  proxy_set_header Connection $connection_upgrade;",
    "  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "  proxy_set_header X-Forwarded-Proto $scheme;",
    "  proxy_set_header X-Forwarded-Host $http_host;",
    "  proxy_set_header X-Real-IP $remote_addr;",
    "",
    ...upstreams,
    ...servers,
    "  server {",
    `    listen ${listen} default_server;`,
    "    server_name _;",
    "    default_type text/plain;",
    `    return 404 "${NO_APP_BODY}";`,
    "  }",
    "",
    "  server {",
    `    listen unix:${stateDir}/status.sock;`,
    "    access_log off;",
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
