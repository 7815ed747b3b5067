/**
 * The reference proxies of bench/router.ts (hand-written nginx and its variants, HAProxy, Caddy):
 * their config files, and starting and stopping them as children of the bench, each on its own
 * 127.0.0.1 port and directory. Also per-process CPU accounting from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** An access log line like Berth's (tab-separated, about as long), with stock variables only. */
const LOG_FORMAT = [
  "  log_format bench '$msec\\t$status\\t$request_time\\t$upstream_response_time\\t$remote_addr\\t$host\\t\"$request\"';",
];

/**
 * The http-level proxy_set_header lines of a config Berth rendered, with the
 * $connection_upgrade map they use (read from the running instance, so the copy stays current).
 */
export function berthProxyHeaders(conf: string): string[] {
  const headers = [...conf.matchAll(/^ {2}proxy_set_header [^\n]*;$/gm)].map((m) => m[0]);
  const map = /^ {2}map \$http_upgrade \$connection_upgrade \{[^}]*\}/m.exec(conf)?.[0];
  return [
    ...(map && headers.some((h) => h.includes("$connection_upgrade")) ? map.split("\n") : []),
    ...headers,
  ];
}

export interface NginxVariant {
  key: string;
  label: string;
  workers: number;
  /** Idle upstream connections kept per worker; 0 = a new upstream connection per request. */
  keepalive: number;
  /** Upstream keepalive_timeout (nginx's default is 60s). */
  keepaliveTimeout?: string;
  accessLog: "off" | "unbuffered" | "buffered";
  /** Berth's proxy_set_header lines (berthProxyHeaders) instead of the minimal Host and Connection. */
  headers?: string[];
}

/** (c): the minimal hand-written config: one worker, upstream keep-alive, no access log. */
export const NGINX_MINIMAL: NginxVariant = {
  key: "c",
  label: "nginx, hand-written (minimal)",
  workers: 1,
  keepalive: 64,
  accessLog: "off",
};

/** The upstream keep-alive settings in a config Berth rendered (its first upstream block). */
export function berthUpstreamSettings(conf: string): { keepalive: number; keepaliveTimeout: string } {
  const upstream = /upstream\s+\S+\s*\{([^}]*)\}/.exec(conf)?.[1] ?? "";
  return {
    keepalive: Number(/\bkeepalive\s+(\d+);/.exec(upstream)?.[1] ?? 0),
    keepaliveTimeout: /\bkeepalive_timeout\s+(\S+);/.exec(upstream)?.[1] ?? "60s",
  };
}

/** Variants of c that each change one thing, to find out what costs what. */
export function nginxVariants(
  berth: { keepalive: number; keepaliveTimeout: string; headers: string[] },
  extra: boolean,
): NginxVariant[] {
  return [
    { ...NGINX_MINIMAL, key: "c.log", label: "c + access_log, unbuffered", accessLog: "unbuffered" },
    { ...NGINX_MINIMAL, key: "c.logbuf", label: "c + access_log buffer=64k flush=1s", accessLog: "buffered" },
    {
      ...NGINX_MINIMAL,
      key: "c.hdr",
      label: `c + Berth's ${berth.headers.filter((h) => h.includes("proxy_set_header")).length} proxy_set_header`,
      headers: berth.headers,
    },
    {
      ...NGINX_MINIMAL,
      key: "c.ka",
      label: `c with Berth's keepalive ${berth.keepalive}, timeout ${berth.keepaliveTimeout}`,
      keepalive: berth.keepalive,
      keepaliveTimeout: berth.keepaliveTimeout,
    },
    { ...NGINX_MINIMAL, key: "c.w2", label: "c with worker_processes 2", workers: 2 },
    ...(extra
      ? [{ ...NGINX_MINIMAL, key: "c.noka", label: "c without upstream keepalive", keepalive: 0 }]
      : []),
  ];
}

export function renderNginx(v: NginxVariant, dir: string, port: number, upstreamPort: number): string {
  const accessLog =
    v.accessLog === "off"
      ? ["  access_log off;"]
      : [
          ...LOG_FORMAT,
          `  access_log ${dir}/access.log bench${v.accessLog === "buffered" ? " buffer=64k flush=1s" : ""};`,
        ];
  const headers = v.headers ?? ["  proxy_set_header Host $http_host;", '  proxy_set_header Connection "";'];
  return [
    `# bench/router.ts variant ${v.key}: ${v.label}`,
    "daemon off;",
    `worker_processes ${v.workers};`,
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    "events {",
    "  worker_connections 4096;",
    "}",
    "http {",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/tmp;`),
    ...accessLog,
    "  keepalive_timeout 65s;",
    "  proxy_http_version 1.1;",
    ...headers,
    "  upstream backend {",
    `    server 127.0.0.1:${upstreamPort};`,
    ...(v.keepalive > 0 ? [`    keepalive ${v.keepalive};`] : []),
    ...(v.keepalive > 0 && v.keepaliveTimeout ? [`    keepalive_timeout ${v.keepaliveTimeout};`] : []),
    "  }",
    "  server {",
    `    listen 127.0.0.1:${port};`,
    "    location / {",
    "      proxy_pass http://backend;",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * Berth's own rendered nginx.conf, moved to `dir` so it can run beside Berth's: paths under
 * Berth's state dir point into `dir`, it stays in the foreground, and every TCP port it listens
 * on is swapped for a free one (`ports`). Upstream servers that are the backend (`backends`: its
 * network address or its published port) become `published` (127.0.0.1:PORT, through
 * docker-proxy, like c, d and e): the bench sends nothing outside 127.0.0.0/8. `upstream`
 * optionally overrides the keep-alive pool of every upstream block. Returns undefined for
 * configs this cannot move (includes, or an upstream that is not the backend).
 */
export function moveBerthConfig(
  conf: string,
  stateDir: string,
  dir: string,
  ports: ReadonlyMap<number, number>,
  backends: readonly string[],
  published: string,
  upstream?: { keepalive: number; keepaliveTimeout: string },
): string | undefined {
  if (/^\s*include\s/m.test(conf)) return undefined;
  let foreign = false;
  conf = conf.replace(/(upstream\s+\S+\s*\{[^}]*\})/g, (block) =>
    block.replace(/(\bserver\s+)(\S+)/g, (_, pre: string, address: string) => {
      if (!backends.includes(address)) foreign = true;
      return `${pre}${published}`;
    }),
  );
  if (foreign) return undefined;
  let out = conf.replaceAll(`${stateDir}/`, `${dir}/`).replace(/^daemon on;/m, "daemon off;");
  out = out.replace(/^(\s*listen\s+)(\S*):(\d+)(?=[\s;])/gm, (line, pre, host, port) => {
    const to = ports.get(Number(port));
    return to === undefined ? line : `${pre}${host}:${to}`;
  });
  if (upstream) {
    out = out.replace(/(upstream\s+\S+\s*\{[^}]*\})/g, (block) =>
      block
        .replace(/\bkeepalive\s+\d+;/, `keepalive ${upstream.keepalive};`)
        .replace(/\bkeepalive_timeout\s+\S+;/, `keepalive_timeout ${upstream.keepaliveTimeout};`),
    );
  }
  return out;
}

/** The address:port of every upstream server in a config Berth rendered. */
export function upstreamServers(conf: string): string[] {
  return [...conf.matchAll(/upstream\s+\S+\s*\{([^}]*)\}/g)].flatMap((m) =>
    [...(m[1] as string).matchAll(/\bserver\s+(\S+)/g)].map((s) => s[1] as string),
  );
}

/** The TCP ports a Berth config listens on. */
export function listenPorts(conf: string): number[] {
  return [...new Set([...conf.matchAll(/^\s*listen\s+\S*:(\d+)(?=[\s;])/gm)].map((m) => Number(m[1])))];
}

/** HAProxy with one thread (like Berth's single nginx worker), keep-alive on both sides, no logging. */
export function renderHaproxy(port: number, upstreamPort: number): string {
  return [
    "# bench/router.ts (d)",
    "global",
    "  nbthread 1",
    "  maxconn 4096",
    "defaults",
    "  mode http",
    "  option http-keep-alive",
    "  http-reuse always",
    "  timeout connect 5s",
    "  timeout client 65s",
    "  timeout server 120s",
    "  timeout http-keep-alive 65s",
    "frontend fe",
    `  bind 127.0.0.1:${port}`,
    "  default_backend be",
    "backend be",
    `  server s1 127.0.0.1:${upstreamPort}`,
    "",
  ].join("\n");
}

/**
 * Caddy: reverse_proxy, no admin API, no HTTPS, no access log. Caddy keeps at most 32 idle
 * upstream connections per host by default, fewer than the benchmark's 50 client connections,
 * so `idlePool` raises that (as nginx's `keepalive` in c); undefined keeps Caddy's defaults.
 */
export function renderCaddyfile(port: number, upstreamPort: number, idlePool?: number): string {
  const transport =
    idlePool === undefined
      ? []
      : [
          "    transport http {",
          "      keepalive 65s",
          `      keepalive_idle_conns ${idlePool}`,
          `      keepalive_idle_conns_per_host ${idlePool}`,
          "    }",
        ];
  return [
    "# bench/router.ts (e)",
    "{",
    "  admin off",
    "  auto_https off",
    "  grace_period 1s",
    "}",
    `http://:${port} {`,
    "  bind 127.0.0.1",
    `  reverse_proxy 127.0.0.1:${upstreamPort} {`,
    ...transport,
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Direct children of a process (all its threads'). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (text !== "") out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

/** A process and all its descendants. */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...childPids(all[i] as number));
  return all;
}

/** utime + stime of each process (all its threads), in ms; processes that are gone are left out. */
export function cpuByPid(pids: number[]): Map<number, number> {
  const tick = 10; // USER_HZ is 100 on Linux
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(pid, (Number(fields[11]) + Number(fields[12])) * tick);
    } catch {
      // gone
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.charAt(stat.lastIndexOf(")") + 2);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** A server the bench started, in the foreground as its child; its log goes to DIR/stdio.log. */
export class ManagedProcess {
  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly child: ChildProcess,
  ) {}

  static start(
    name: string,
    dir: string,
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv = process.env,
  ): ManagedProcess {
    mkdirSync(dir, { recursive: true });
    const log = openSync(join(dir, "stdio.log"), "a");
    const child = spawn(cmd, args, { stdio: ["ignore", log, log], env, cwd: dir });
    child.on("error", () => undefined);
    return new ManagedProcess(name, dir, child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  log(): string {
    try {
      const text = readFileSync(join(this.dir, "stdio.log"), "utf8");
      const err = (() => {
        try {
          return readFileSync(join(this.dir, "error.log"), "utf8");
        } catch {
          return "";
        }
      })();
      return `${text}${err}`.slice(-4000);
    } catch {
      return "";
    }
  }

  /** SIGTERM (every server here shuts down on it), then SIGKILL for the whole tree after 5 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const tree = processTree(this.pid);
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    for (const pid of tree) {
      if (isAlive(pid)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  }
}

export function writeConfig(dir: string, file: string, text: string): string {
  mkdirSync(join(dir, "tmp"), { recursive: true });
  const path = join(dir, file);
  writeFileSync(path, text);
  return path;
}
