import type { Kysely, Selectable } from "kysely";
import type { SecretBox } from "../domain/secret-box.js";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type ClusterRow = Selectable<Database["clusters"]>;

const context = (name: string) => `cluster-tls-key:${name}`;

export class ClusterRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly box?: SecretBox,
  ) {}

  async create(row: Omit<ClusterRow, "id" | "created_at">): Promise<ClusterRow> {
    const key = row.tls_key && this.box ? this.box.seal(row.tls_key, context(row.name)) : row.tls_key;
    return this.db
      .insertInto("clusters")
      .values({ ...row, tls_key: key, created_at: nowIso() })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  list(): Promise<ClusterRow[]> {
    return this.db.selectFrom("clusters").selectAll().orderBy("name").execute();
  }

  find(name: string): Promise<ClusterRow | undefined> {
    return this.db.selectFrom("clusters").selectAll().where("name", "=", name).executeTakeFirst();
  }

  /** With the TLS key opened: only the engine that connects may see it. */
  open(row: ClusterRow): ClusterRow {
    if (!row.tls_key || !this.box) return row;
    return { ...row, tls_key: this.box.open(row.tls_key, context(row.name)) };
  }

  /** The cluster an environment runs on; undefined: the local engine. */
  async ofEnvironment(tenant: string, env: string): Promise<ClusterRow | undefined> {
    return this.db
      .selectFrom("environments")
      .innerJoin("tenants", "tenants.id", "environments.tenant_id")
      .innerJoin("clusters", "clusters.id", "environments.cluster_id")
      .selectAll("clusters")
      .where("tenants.name", "=", tenant)
      .where("environments.name", "=", env)
      .executeTakeFirst();
  }

  environmentsOn(clusterId: number): Promise<{ tenant: string; env: string }[]> {
    return this.db
      .selectFrom("environments")
      .innerJoin("tenants", "tenants.id", "environments.tenant_id")
      .select(["tenants.name as tenant", "environments.name as env"])
      .where("environments.cluster_id", "=", clusterId)
      .orderBy("tenants.name")
      .orderBy("environments.name")
      .execute();
  }

  async delete(id: number): Promise<void> {
    await this.db.deleteFrom("clusters").where("id", "=", id).execute();
  }
}
