import { type Kysely, sql } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

/** A binding of an app to an instance in one environment; its credentials stay sealed here. */
export interface ServiceBindingRecord {
  id: number;
  instanceId: number;
  instance: string;
  appId: number;
  app: string;
  envId: number;
  name: string;
  username: string;
  sealedCredentials: string;
  createdAt: string;
  rotatedAt: string | null;
  state: "active" | "revoking";
  revokeAfterRelease: number | null;
}

export class ServiceBindingRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private query() {
    return this.db
      .selectFrom("service_bindings as b")
      .innerJoin("service_instances as i", "i.id", "b.instance_id")
      .innerJoin("apps as a", "a.id", "b.app_id")
      .select([
        "b.id",
        "b.instance_id",
        "i.name as instance",
        "b.app_id",
        "a.name as app",
        "b.env_id",
        "b.name",
        "b.username",
        "b.credentials",
        "b.created_at",
        "b.rotated_at",
        "b.state",
        "b.revoke_after_release",
      ]);
  }

  private decode(r: Awaited<ReturnType<ReturnType<ServiceBindingRepository["query"]>["execute"]>>[number]) {
    return {
      id: r.id,
      instanceId: r.instance_id,
      instance: r.instance,
      appId: r.app_id,
      app: r.app,
      envId: r.env_id,
      name: r.name,
      username: r.username,
      sealedCredentials: r.credentials,
      createdAt: r.created_at,
      rotatedAt: r.rotated_at,
      state: r.state === "revoking" ? "revoking" : "active",
      revokeAfterRelease: r.revoke_after_release,
    } satisfies ServiceBindingRecord;
  }

  /** Inserts with sealed credentials made by `seal(id)`: they are sealed under the binding's own id. */
  async create(
    b: { instanceId: number; appId: number; envId: number; name: string; username: string },
    seal: (id: number) => string,
  ): Promise<number> {
    const row = await this.db
      .insertInto("service_bindings")
      .values({
        instance_id: b.instanceId,
        app_id: b.appId,
        env_id: b.envId,
        name: b.name,
        username: b.username,
        credentials: "",
        created_at: nowIso(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await this.db
      .updateTable("service_bindings")
      .set({ credentials: seal(row.id) })
      .where("id", "=", row.id)
      .execute();
    return row.id;
  }

  /** Every binding's sealed credentials (a rotation's old user has none), for key rotation. */
  async listSealed(): Promise<{ id: number; sealed: string }[]> {
    const rows = await this.db
      .selectFrom("service_bindings")
      .select(["id", "credentials"])
      .where("credentials", "!=", "")
      .execute();
    return rows.map((r) => ({ id: r.id, sealed: r.credentials }));
  }

  async replaceSealed(id: number, sealed: string): Promise<void> {
    await this.db.updateTable("service_bindings").set({ credentials: sealed }).where("id", "=", id).execute();
  }

  async setCredentials(id: number, sealed: string, username: string): Promise<void> {
    await this.db
      .updateTable("service_bindings")
      .set({ credentials: sealed, username, rotated_at: nowIso() })
      .where("id", "=", id)
      .execute();
  }

  async forApp(appId: number, envId: number): Promise<ServiceBindingRecord[]> {
    return (
      await this.query()
        .where("b.app_id", "=", appId)
        .where("b.env_id", "=", envId)
        .orderBy("b.name")
        .execute()
    ).map((r) => this.decode(r));
  }

  /** Every binding of an app, in any environment, with the environment's name. */
  async ofApp(appId: number): Promise<{ instance: string; env: string }[]> {
    return this.db
      .selectFrom("service_bindings as b")
      .innerJoin("service_instances as i", "i.id", "b.instance_id")
      .innerJoin("environments as e", "e.id", "b.env_id")
      .select(["i.name as instance", "e.name as env"])
      .where("b.app_id", "=", appId)
      .orderBy("b.id")
      .execute();
  }

  async forInstance(instanceId: number): Promise<ServiceBindingRecord[]> {
    return (await this.query().where("b.instance_id", "=", instanceId).orderBy("b.id").execute()).map((r) =>
      this.decode(r),
    );
  }

  /**
   * Unbound: the app rolls out without it; its user is dropped once `release` serves. Its name
   * becomes NAME~ID, so the app may bind again under the name while the old user waits.
   */
  async revoke(id: number, release: number | null): Promise<void> {
    await this.db
      .updateTable("service_bindings")
      .set((eb) => ({
        state: "revoking",
        revoke_after_release: release,
        name: sql<string>`case when ${eb.ref("name")} like '%~%' then ${eb.ref("name")} else ${eb.ref("name")} || '~' || ${eb.ref("id")} end`,
      }))
      .where("id", "=", id)
      .execute();
  }

  async remove(id: number): Promise<void> {
    await this.db.deleteFrom("service_bindings").where("id", "=", id).execute();
  }
}
