import { type ConfigDiffLine, SECRET_MASK } from "../domain/config.js";
import type { ReleaseResources } from "../domain/settings.js";

/** A release (or the pending config) opened for comparison: secrets in plain text, marked. */
export interface SnapshotView {
  image: string;
  imageId: string;
  env: Record<string, string>;
  secretKeys: ReadonlySet<string>;
  files: Record<string, string>;
  secretFiles: ReadonlySet<string>;
  resources: ReleaseResources;
}

/** Keys, then files, then resources, then the image; secrets masked unless shown. */
export function diffSnapshots(from: SnapshotView, to: SnapshotView, showSecrets: boolean): ConfigDiffLine[] {
  const lines: ConfigDiffLine[] = [];
  const compare = (
    key: string,
    a: string | undefined,
    b: string | undefined,
    secret: boolean,
  ): ConfigDiffLine | undefined => {
    if (a === b) return undefined;
    const show = (v: string | undefined) =>
      v === undefined ? null : secret && !showSecrets ? SECRET_MASK : v;
    const change = a === undefined ? "added" : b === undefined ? "removed" : "changed";
    return { key, change, from: show(a), to: show(b), secret };
  };
  const push = (line: ConfigDiffLine | undefined) => {
    if (line) lines.push(line);
  };
  // Every release has its own number; saying so on every diff would be noise.
  for (const key of union(from.env, to.env))
    if (key !== "BERTH_RELEASE")
      push(compare(key, from.env[key], to.env[key], from.secretKeys.has(key) || to.secretKeys.has(key)));
  for (const path of union(from.files, to.files))
    push(
      compare(
        `file:${path}`,
        from.files[path],
        to.files[path],
        from.secretFiles.has(path) || to.secretFiles.has(path),
      ),
    );
  const ra = from.resources as unknown as Record<string, unknown>;
  const rb = to.resources as unknown as Record<string, unknown>;
  for (const name of union(ra, rb)) push(compare(`resources.${name}`, text(ra[name]), text(rb[name]), false));
  if (from.imageId !== to.imageId)
    lines.push({
      key: "image",
      change: "changed",
      from: `${from.image} (${from.imageId.slice(7, 19)})`,
      to: `${to.image} (${to.imageId.slice(7, 19)})`,
      secret: false,
    });
  return lines;
}

/** One line for `berth releases`: names only, never values, so secrets cannot leak through it. */
export function summarizeChanges(lines: readonly ConfigDiffLine[]): string {
  if (lines.length === 0) return "no changes";
  const sign = { added: "+", removed: "-", changed: "~" } as const;
  return lines
    .map((l) => {
      if (l.key === "image") return "image";
      if (l.key.startsWith("resources.") && !l.secret && l.from !== null && l.to !== null)
        return `${l.key.slice(10)} ${short(l.from)}→${short(l.to)}`;
      return `${sign[l.change]}${l.key.startsWith("resources.") ? l.key.slice(10) : l.key}`;
    })
    .join(", ");
}

function union(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

function text(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  return v === null ? "none" : typeof v === "string" ? v : JSON.stringify(v);
}

function short(v: string): string {
  return v.length > 24 ? `${v.slice(0, 21)}...` : v;
}
