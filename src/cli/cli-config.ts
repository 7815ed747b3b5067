import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { CliError } from "./cli-error.js";

export interface SavedConfig {
  url?: string;
  token?: string;
  tenant?: string;
  env?: string;
}

export const configFile = () =>
  join(process.env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "berth", "config.json");

export function loadConfig(): SavedConfig {
  try {
    return JSON.parse(readFileSync(configFile(), "utf8")) as SavedConfig;
  } catch {
    return {};
  }
}

/** The file holds a token, so only its owner may read it. */
export function saveConfig(patch: SavedConfig): void {
  const file = configFile();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify({ ...loadConfig(), ...patch }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Flags beat environment variables, which beat the saved config. */
export function connection(): { url: string; token: string } {
  const saved = loadConfig();
  const url = process.env.BERTH_URL ?? saved.url;
  const token = process.env.BERTH_TOKEN ?? saved.token;
  if (!url || !token)
    throw new CliError(
      "not logged in; run 'berth login URL' (a user name and password, or --token TOKEN), or set BERTH_URL and BERTH_TOKEN",
    );
  return { url: url.replace(/\/+$/, ""), token };
}

export function tenantOf(flag: string | undefined): string {
  const tenant = flag ?? process.env.BERTH_TENANT ?? loadConfig().tenant;
  if (!tenant) throw new CliError("no tenant given; pass --tenant T or run 'berth use --tenant T'");
  return tenant;
}

export function envOf(flag: string | undefined): string {
  const env = flag ?? process.env.BERTH_ENV ?? loadConfig().env;
  if (!env) throw new CliError("no environment given; pass --env E or run 'berth use --tenant T --env E'");
  return env;
}
