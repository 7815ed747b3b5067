import type { ConfigLayer } from "../domain/config.js";
import { DomainError } from "../domain/domain-error.js";
import {
  type ReleaseResources,
  SETTING_SHAPES,
  type SettingName,
  type Settings,
} from "../domain/settings.js";
import { effective } from "./layer-of.js";
import { renderTemplate, resolveConfig } from "./render-template.js";

export interface LayeredEntry {
  layer: ConfigLayer;
  key: string;
  secret: boolean;
  /** The raw template, already opened if secret. */
  value: string;
}
export interface LayeredFile {
  layer: ConfigLayer;
  path: string;
  template: string;
}
export interface LayeredSetting {
  layer: ConfigLayer;
  name: SettingName;
  value: unknown;
}

export interface ReleaseInputs {
  entries: readonly LayeredEntry[];
  files: readonly LayeredFile[];
  settings: readonly LayeredSetting[];
  identity: { tenant: string; env: string; app: string };
  /** The number the release will get. */
  release: number;
  /** What an unlimited container sees, for BERTH_MEMORY_MB / BERTH_CPUS without a limit. */
  host: { memoryMb: number; cpus: number };
  /** The image's one exposed port, if it has exactly one. */
  imagePort: number | undefined;
}

export interface RenderedFile {
  path: string;
  content: string;
}

/** The resolved, immutable part of a release. */
export interface ReleaseSnapshot {
  env: Record<string, string>;
  secretEnv: Record<string, string>;
  files: RenderedFile[];
  secretFiles: RenderedFile[];
  resources: ReleaseResources;
  replicas: number;
  /** Facts the values were evaluated with; also given to the containers. */
  facts: Record<string, string>;
}

export const DEFAULTS = {
  port: 8080,
  healthCheck: "http",
  healthPath: "/",
  healthTimeout: 60,
  restart: "unless-stopped",
  replicas: 1,
} as const;

/** Resolves settings by layer; values were validated when stored, and are checked again here. */
export function resolveSettings(settings: readonly LayeredSetting[]): Settings {
  const out: Record<string, unknown> = {};
  for (const [name, row] of effective(settings, (s) => s.name)) {
    const shape = SETTING_SHAPES[name as SettingName];
    if (!shape) continue;
    const parsed = shape.safeParse(row.value);
    if (parsed.success) out[name] = parsed.data;
  }
  // An environment's rule ("prod only on env=prod nodes") must hold beside an app's own.
  const constraints = [
    ...new Set(
      settings
        .filter((s) => s.name === "constraints")
        .flatMap((s) => {
          const parsed = SETTING_SHAPES.constraints.safeParse(s.value);
          return parsed.success ? parsed.data : [];
        }),
    ),
  ];
  if (constraints.length > 0) out.constraints = constraints;
  return out as Settings;
}

export function resourcesFrom(s: Settings, imagePort: number | undefined): ReleaseResources {
  return {
    cpus: s.cpus ?? null,
    memoryMb: s.memoryMb ?? null,
    port: s.port ?? imagePort ?? DEFAULTS.port,
    healthCheck: s.healthCheck ?? DEFAULTS.healthCheck,
    healthPath: s.healthPath ?? DEFAULTS.healthPath,
    healthTimeout: s.healthTimeout ?? DEFAULTS.healthTimeout,
    restart: s.restart ?? DEFAULTS.restart,
    command: s.command ?? null,
    volumes: s.volumes ?? [],
    privileged: s.privileged ?? false,
    hostNetwork: s.hostNetwork ?? false,
    hostPid: s.hostPid ?? false,
    capAdd: s.capAdd ?? [],
    devices: s.devices ?? [],
    hostMounts: s.hostMounts ?? [],
    placement: {
      constraints: s.constraints ?? [],
      spread: s.spread ?? null,
      maxPerNode: s.maxPerNode ?? null,
      reserveCpus: s.reserveCpus ?? null,
      reserveMemoryMb: s.reserveMemoryMb ?? null,
    },
    ...(s.strategy ? { strategy: s.strategy } : {}),
  };
}

function factsFor(
  identity: ReleaseInputs["identity"],
  release: number,
  resources: ReleaseResources,
  host: ReleaseInputs["host"],
): Record<string, string> {
  return {
    BERTH_TENANT: identity.tenant,
    BERTH_ENV: identity.env,
    BERTH_APP: identity.app,
    BERTH_RELEASE: String(release),
    BERTH_MEMORY_MB: String(resources.memoryMb ?? host.memoryMb),
    BERTH_CPUS: String(resources.cpus ?? host.cpus),
    BERTH_PORT: String(resources.port),
  };
}

/**
 * Everything a release runs with, from the layers: settings first (they feed the facts), then
 * every value and file evaluated against the facts. Throws DomainError naming the key at fault.
 */
export function resolveRelease(inputs: ReleaseInputs): ReleaseSnapshot {
  const settings = resolveSettings(inputs.settings);
  const resources = resourcesFrom(settings, inputs.imagePort);
  const facts = factsFor(inputs.identity, inputs.release, resources, inputs.host);
  const winners = effective(inputs.entries, (e) => e.key);
  const values: Record<string, string> = {};
  const secrets = new Set<string>();
  for (const [key, e] of winners) {
    values[key] = e.value;
    if (e.secret) secrets.add(key);
  }
  const resolved = resolveConfig({ values, secrets, facts });
  const env: Record<string, string> = {};
  const secretEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(resolved.values)) {
    if (resolved.secret.has(key)) secretEnv[key] = value;
    else env[key] = value;
  }
  const files: RenderedFile[] = [];
  const secretFiles: RenderedFile[] = [];
  for (const [path, f] of effective(inputs.files, (x) => x.path)) {
    const out = renderTemplate(f.template, resolved, facts, `file ${path}`);
    (out.secret ? secretFiles : files).push({ path, content: out.text });
  }
  const mounts = new Set<string>();
  for (const p of [...files, ...secretFiles]
    .map((f) => f.path)
    .concat(
      resources.volumes.map((v) => v.path),
      resources.hostMounts.map((m) => m.path),
    )) {
    if (mounts.has(p))
      throw new DomainError("invalid", `two mounts want ${p} (config files, volumes and host mounts)`, p);
    mounts.add(p);
  }
  return {
    env,
    secretEnv,
    files,
    secretFiles,
    resources,
    replicas: settings.replicas ?? DEFAULTS.replicas,
    facts,
  };
}
