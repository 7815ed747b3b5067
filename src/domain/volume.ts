/**
 * A named volume of a tenant-environment. On a cluster it lives on one node (its data is that
 * node's disk), and every release or job that mounts it runs there.
 */
export interface VolumeSpec {
  tenant: string;
  env: string;
  name: string;
  /** The node to keep it on (a cluster's node hostname); null: the engine picks one. */
  node?: string | null;
}

export interface VolumeInfo {
  tenant: string;
  env: string;
  name: string;
  /** Its node's hostname; null on the local engine. */
  node: string | null;
  /** Bytes used, when the engine can tell (null: not measured yet). */
  sizeBytes: number | null;
  createdAt: string;
}

export interface VolumeSelector {
  tenant?: string;
  env?: string;
}
