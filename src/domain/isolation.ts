import { z } from "zod";
import { ContainerFilePath } from "./config.js";

/** Linux capabilities by their Docker names (without CAP_); anything else is refused. */
export const CAPABILITIES = [
  "AUDIT_CONTROL",
  "AUDIT_READ",
  "AUDIT_WRITE",
  "BLOCK_SUSPEND",
  "BPF",
  "CHECKPOINT_RESTORE",
  "CHOWN",
  "DAC_OVERRIDE",
  "DAC_READ_SEARCH",
  "FOWNER",
  "FSETID",
  "IPC_LOCK",
  "IPC_OWNER",
  "KILL",
  "LEASE",
  "LINUX_IMMUTABLE",
  "MAC_ADMIN",
  "MAC_OVERRIDE",
  "MKNOD",
  "NET_ADMIN",
  "NET_BIND_SERVICE",
  "NET_BROADCAST",
  "NET_RAW",
  "PERFMON",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_ADMIN",
  "SYS_BOOT",
  "SYS_CHROOT",
  "SYS_MODULE",
  "SYS_NICE",
  "SYS_PACCT",
  "SYS_PTRACE",
  "SYS_RAWIO",
  "SYS_RESOURCE",
  "SYS_TIME",
  "SYS_TTY_CONFIG",
  "SYSLOG",
  "WAKE_ALARM",
] as const;
export const Capability = z.enum(CAPABILITIES).meta({ description: "A Linux capability, e.g. NET_ADMIN" });

const SEGMENT = "[A-Za-z0-9._@+-]+";
const noDots = (p: string) => !p.split("/").some((s) => s === "." || s === "..");

/** An absolute, normalised path on the host ('/' itself included); no '.', '..' or doubled '/'. */
export const HostPath = z
  .string()
  .max(512)
  .regex(new RegExp(`^(/|(/${SEGMENT})+)$`), "host paths are absolute, made of letters, digits and . _ @ + -")
  .refine(noDots, { message: "'.' and '..' are not allowed" })
  .meta({ example: "/srv/shared" });

export const DevicePath = z
  .string()
  .max(256)
  .regex(new RegExp(`^/dev(/${SEGMENT})+$`), "devices are paths under /dev, e.g. /dev/fuse")
  .refine(noDots, { message: "'.' and '..' are not allowed" })
  .meta({ example: "/dev/fuse" });

export const HostMount = z
  .strictObject({ hostPath: HostPath, path: ContainerFilePath, readOnly: z.boolean().default(false) })
  .meta({ id: "HostMount", description: "A host directory or file bind-mounted into the container" });
export type HostMount = z.infer<typeof HostMount>;

/**
 * What breaks a container out of its tenant's isolation. Every field is refused unless a
 * platform admin granted the tenant an exception of the matching kind.
 */
export const ELEVATED_SHAPES = {
  privileged: z.boolean().meta({ description: "Privileged mode: every capability and device" }),
  hostNetwork: z.boolean().meta({ description: "The host's network namespace (no environment network)" }),
  hostPid: z.boolean().meta({ description: "The host's PID namespace" }),
  capAdd: z.array(Capability).max(CAPABILITIES.length),
  devices: z.array(DevicePath).max(16),
  hostMounts: z.array(HostMount).max(16),
} as const;

export const EXCEPTION_KINDS = [
  "privileged",
  "host-network",
  "host-pid",
  "capabilities",
  "devices",
  "host-mounts",
  "docker-socket",
] as const;
export const ExceptionKind = z.enum(EXCEPTION_KINDS).meta({
  id: "ExceptionKind",
  description:
    "capabilities, devices and host-mounts cover the values granted (names, device paths, host path prefixes)",
});
export type ExceptionKind = z.infer<typeof ExceptionKind>;

const NEEDS_VALUES: ReadonlySet<ExceptionKind> = new Set(["capabilities", "devices", "host-mounts"]);
export const exceptionNeedsValues = (kind: ExceptionKind) => NEEDS_VALUES.has(kind);

export const GrantRequest = z
  .strictObject({
    values: z
      .array(z.string().max(512))
      .max(64)
      .default([])
      .meta({ description: "Capabilities, device paths or host path prefixes the exception covers" }),
    reason: z
      .string()
      .min(3)
      .max(500)
      .regex(/^[^\0\r\n]*$/, "one line of text")
      .meta({ description: "Why: kept with the exception and in the audit log" }),
  })
  .meta({ id: "GrantRequest" });

export const PolicyException = z
  .object({
    kind: ExceptionKind,
    values: z.array(z.string()),
    reason: z.string(),
    grantedBy: z.string(),
    grantedAt: z.string(),
  })
  .meta({ id: "PolicyException" });
export type PolicyException = z.infer<typeof PolicyException>;

/** The elevated part of what a release runs with. */
export interface Elevation {
  privileged: boolean;
  hostNetwork: boolean;
  hostPid: boolean;
  capAdd: readonly string[];
  devices: readonly string[];
  hostMounts: readonly { hostPath: string }[];
}

/** The elevated settings that not every engine can run (a Swarm service cannot). */
export type RunFeatures = Partial<Pick<Elevation, "privileged" | "hostPid" | "devices" | "hostMounts">>;

/** Where the Docker daemon listens on a Debian host: whoever holds it owns the host. */
const SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];
const within = (path: string, prefix: string) =>
  prefix === "/" || path === prefix || path.startsWith(`${prefix}/`);

/** The socket itself, or a directory that holds it (mounting /run gives the socket too). */
export const exposesDockerSocket = (hostPath: string) => SOCKETS.some((s) => within(s, hostPath));

/**
 * Checks an elevation against a tenant's exceptions: what is refused, and which exceptions it
 * relies on (for the audit log). Pure: the caller reads the exceptions and resolves symlinks.
 */
export function judgeElevation(
  e: Elevation,
  exceptions: readonly { kind: ExceptionKind; values: readonly string[] }[],
): { refused: { kind: ExceptionKind; what: string }[]; used: string[] } {
  const granted = new Map(exceptions.map((x) => [x.kind, x.values]));
  const refused: { kind: ExceptionKind; what: string }[] = [];
  const used = new Set<string>();
  const need = (kind: ExceptionKind, what: string, ok = granted.has(kind)) => {
    if (ok) used.add(kind);
    else refused.push({ kind, what });
  };
  if (e.privileged) need("privileged", "privileged mode");
  if (e.hostNetwork) need("host-network", "the host network");
  if (e.hostPid) need("host-pid", "the host PID namespace");
  for (const cap of e.capAdd)
    need("capabilities", `capability ${cap}`, granted.get("capabilities")?.includes(cap) ?? false);
  for (const dev of e.devices)
    need("devices", `device ${dev}`, granted.get("devices")?.includes(dev) ?? false);
  for (const m of e.hostMounts) {
    const socket = exposesDockerSocket(m.hostPath);
    if (socket) need("docker-socket", `the Docker socket (${m.hostPath})`);
    // The socket file itself needs only its own exception; anything else needs a granted prefix.
    if (!SOCKETS.includes(m.hostPath))
      need(
        "host-mounts",
        `host mount ${m.hostPath}`,
        granted.get("host-mounts")?.some((p) => within(m.hostPath, p)) ?? false,
      );
  }
  return { refused, used: [...used].sort() };
}
