import type { ConfigLayer } from "../domain/config.js";

/** Which layer a stored row belongs to; 0 means "every app" / "every environment". */
export function layerOf(row: { app_id: number; env_id: number }): ConfigLayer {
  if (row.app_id === 0) return row.env_id === 0 ? "tenant" : "tenant-env";
  return row.env_id === 0 ? "app" : "app-env";
}

const RANK: Record<ConfigLayer, number> = { tenant: 0, "tenant-env": 1, app: 2, "app-env": 3, release: 4 };

/** Keeps, per name, the row from the highest layer. */
export function effective<T extends { layer: ConfigLayer }>(
  rows: readonly T[],
  name: (row: T) => string,
): Map<string, T> {
  const out = new Map<string, T>();
  for (const row of rows) {
    const seen = out.get(name(row));
    if (!seen || RANK[row.layer] > RANK[seen.layer]) out.set(name(row), row);
  }
  return out;
}
