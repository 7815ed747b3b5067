/**
 * Parsers for the small value languages of a compose file: durations, memory sizes, CPU counts, port
 * specs, health check tests and volume mounts. Each returns the value or a string saying what is wrong.
 */

/** Mirrors src/domain/dns-label.ts (the CLI may not import the domain's code, only its types). */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Mirrors ConfigKey in src/domain/config.ts. */
export const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Mirrors ContainerFilePath in src/domain/config.ts. */
const CONTAINER_PATH = /^(\/[A-Za-z0-9._@+-]+)+$/;
/** Mirrors HealthPath in src/domain/runtime-spec.ts. */
const HEALTH_PATH = /^\/[A-Za-z0-9._~%/-]*(\?[A-Za-z0-9._~%&=-]*)?$/;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

export const show = (v: unknown): string => (typeof v === "string" ? `"${v}"` : JSON.stringify(v));

/** What a name that is not a DNS label could be renamed to. */
export function suggestName(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return s || "app";
}

export function nameProblem(what: "app" | "volume", name: string): string | undefined {
  if (DNS_LABEL.test(name)) return undefined;
  const source = what === "app" ? "service" : "volume";
  return `"${name}" is not a valid ${what} name (a DNS label: 1-63 lower-case letters, digits or '-'); rename the ${source}, e.g. to "${suggestName(name)}"`;
}

export function containerPathProblem(path: string): string | undefined {
  if (!CONTAINER_PATH.test(path))
    return `${show(path)} must be an absolute path of letters, digits and . _ @ + -`;
  if (path.split("/").some((s) => s === "." || s === ".."))
    return `${show(path)}: '.' and '..' are not allowed`;
  if (/^\/(proc|sys|dev)(\/|$)/.test(path)) return `${show(path)}: /proc, /sys and /dev belong to the kernel`;
  return undefined;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};
const DURATION = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/** A compose (Go) duration such as `30s`, `1m30s`, `1.5h` or `500ms` → seconds. */
export function durationSeconds(value: unknown): number | string {
  const text = typeof value === "string" ? value.trim() : "";
  if (!/^((\d+(\.\d+)?)(ns|us|µs|ms|s|m|h))+$/.test(text))
    return `${show(value)} is not a duration such as 30s, 1m30s or 2m`;
  let seconds = 0;
  for (const m of text.matchAll(DURATION)) seconds += Number(m[1]) * (DURATION_UNITS[m[2] ?? "s"] ?? 1);
  return seconds;
}

/** Docker's memory sizes: bytes, or `512M`, `1g`, `256mb`, `1GiB`, `1024k` (binary units) → MiB, rounded up. */
export function memoryMiB(value: unknown): number | string {
  const text = typeof value === "number" || typeof value === "string" ? String(value).trim() : "";
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?(?:i?b)?$/i.exec(text);
  if (!m) return `${show(value)} is not a memory size such as 512M or 1g`;
  const power = m[2] ? "kmgtp".indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.ceil((Number(m[1]) * 1024 ** power) / 1024 ** 2);
}

/** `0.5`, `"0.5"` or `2` → cores. */
export function cpuCount(value: unknown): number | string {
  const n =
    typeof value === "number" ? value : /^\d+(\.\d+)?$/.test(String(value).trim()) ? Number(value) : NaN;
  if (typeof value === "boolean" || !(n > 0)) return `${show(value)} is not a CPU count such as 0.5 or 2`;
  return n;
}

export interface PortSpec {
  container: number[];
  host?: string;
  protocol: string;
  /** As written, for notes, e.g. `8080:80`. */
  label: string;
}

function portRange(text: string): number[] | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || to < from || to - from > 1000) return undefined;
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** A `ports:` entry: `80`, `"8080:80"`, `"127.0.0.1:8080:80"`, `"8080:80/tcp"` or `{target, published}`. */
export function parsePort(entry: unknown): PortSpec | string {
  if (isObject(entry)) {
    const known = ["target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"];
    const unknown = Object.keys(entry).filter((k) => !known.includes(k));
    if (unknown.length > 0) return `${unknown.join(", ")}: not supported`;
    const container = portRange(String(entry.target ?? ""));
    if (!container || container.length !== 1) return `target ${show(entry.target)} is not a port`;
    const host = entry.published === undefined ? undefined : String(entry.published);
    const protocol = String(entry.protocol ?? "tcp").toLowerCase();
    return { container, host, protocol, label: `${host ? `${host}:` : ""}${entry.target}` };
  }
  if (typeof entry === "number") entry = String(entry);
  if (typeof entry !== "string") return `${show(entry)} is not a port`;
  const [spec = "", protocol = "tcp", extra] = entry.trim().split("/");
  const parts = spec.replace(/^\[[^\]]*\]:/, "ip:").split(":");
  const container = portRange(parts.at(-1) ?? "");
  const host = parts.length > 1 ? parts.at(-2) : undefined;
  if (extra !== undefined || parts.length > 3 || !container || (host && !portRange(host)))
    return `${show(entry)} is not a port mapping such as "8080:80"`;
  return { container, host: host || undefined, protocol: protocol.toLowerCase(), label: entry };
}

/** An `expose:` entry: `3000`, `"3000"`, `"3000/tcp"`. */
export function parseExpose(entry: unknown): PortSpec | string {
  const text = typeof entry === "number" ? String(entry) : typeof entry === "string" ? entry.trim() : "";
  const [spec = "", protocol = "tcp"] = text.split("/");
  const container = portRange(spec);
  if (!container || text.split("/").length > 2) return `${show(entry)} is not a port`;
  return { container, protocol: protocol.toLowerCase(), label: text };
}

export type HealthTest =
  | { kind: "none" }
  | { kind: "http"; path: string; port: number; command: string }
  | { kind: "command"; command: string };

const PROBE_URL =
  /\bhttp:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?(\/[^\s'"|;&<>()]*)?(?=$|[\s'"|;&<>()])/;

/** A healthcheck `test`: `["CMD", ...]`, `["CMD-SHELL", "..."]`, a string (a shell command) or `["NONE"]`. */
export function parseHealthTest(test: unknown): HealthTest | string {
  let words: string[];
  if (typeof test === "string") words = [test];
  else if (Array.isArray(test) && test.every((w) => typeof w === "string")) {
    const [kind, ...rest] = test as string[];
    if (kind === "NONE") return { kind: "none" };
    if ((kind !== "CMD" && kind !== "CMD-SHELL") || rest.length === 0)
      return `test must start with "CMD", "CMD-SHELL" or "NONE"`;
    words = rest;
  } else return `test must be a string or a list of strings`;
  const command = words.join(" ");
  const url = PROBE_URL.exec(command);
  const path = url?.[2] ?? "/";
  if (!url || !/(^|[\s/;&|])(curl|wget)\s/.test(command) || !HEALTH_PATH.test(path))
    return { kind: "command", command };
  return { kind: "http", path, port: Number(url[1] ?? 80), command };
}

export type VolumeSpec =
  | { kind: "volume"; name: string; target: string; readOnly: boolean; options: string[] }
  | { kind: "bind" | "tmpfs" | "anonymous" | "other"; type: string; target: string };

/** A service `volumes:` entry, short (`data:/var/lib/data[:ro]`) or long (`{type, source, target}`). */
export function parseVolume(entry: unknown): VolumeSpec | string {
  if (isObject(entry)) {
    const type = String(entry.type ?? "");
    const target = String(entry.target ?? "");
    if (!target) return "target is missing";
    if (type !== "volume")
      return { kind: type === "bind" || type === "tmpfs" ? type : "other", type, target };
    if (entry.source === undefined) return { kind: "anonymous", type, target };
    const known = ["type", "source", "target", "read_only"];
    return {
      kind: "volume",
      name: String(entry.source),
      target,
      readOnly: entry.read_only === true,
      options: Object.keys(entry).filter((k) => !known.includes(k)),
    };
  }
  if (typeof entry !== "string") return `${show(entry)} is not a volume`;
  const parts = entry.split(":");
  if (parts.length === 1) return { kind: "anonymous", type: "volume", target: entry };
  const [source = "", target = "", mode = ""] = parts;
  if (parts.length > 3 || !target) return `${show(entry)} is not a volume such as "data:/var/lib/data"`;
  if (/^[./~]/.test(source) || /^[A-Za-z]:\\/.test(entry)) return { kind: "bind", type: "bind", target };
  const modes = mode ? mode.split(",") : [];
  return {
    kind: "volume",
    name: source,
    target,
    readOnly: modes.includes("ro"),
    options: modes.filter((m) => m !== "ro" && m !== "rw"),
  };
}
