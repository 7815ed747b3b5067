import type { Kysely } from "kysely";
import { z } from "zod";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";
import { storedBoolean, storedJson } from "./stored-json.js";

/** An instance's spec with its status (the reconciler's half), decoded. */
export interface ServiceInstanceRecord {
  id: number;
  tenantId: number;
  envId: number;
  tenant: string;
  env: string;
  name: string;
  moduleId: number;
  capability: string;
  moduleVersion: string;
  plan: string;
  parameters: Record<string, unknown>;
  /** Sealed; open with the instance's sealing context. */
  sealedSecrets: string;
  generation: number;
  deleting: boolean;
  keepVolume: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  status: {
    phase: string;
    message: string;
    observedGeneration: number | null;
    readyAt: string | null;
  } | null;
}

const Params = z.record(z.string(), z.unknown());

export class ServiceInstanceRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private query() {
    return this.db
      .selectFrom("service_instances as i")
      .innerJoin("tenants as t", "t.id", "i.tenant_id")
      .innerJoin("environments as e", "e.id", "i.env_id")
      .innerJoin("capability_modules as m", "m.id", "i.module_id")
      .leftJoin("instance_status as s", "s.instance_id", "i.id")
      .select([
        "i.id",
        "i.tenant_id",
        "i.env_id",
        "t.name as tenant",
        "e.name as env",
        "i.name",
        "i.module_id",
        "m.capability",
        "m.version",
        "i.plan",
        "i.parameters",
        "i.secrets",
        "i.generation",
        "i.deleting",
        "i.keep_volume",
        "i.created_by",
        "i.created_at",
        "i.updated_at",
        "s.phase",
        "s.message",
        "s.observed_generation",
        "s.ready_at",
      ]);
  }

  private decode(r: Awaited<ReturnType<ReturnType<ServiceInstanceRepository["query"]>["execute"]>>[number]) {
    return {
      id: r.id,
      tenantId: r.tenant_id,
      envId: r.env_id,
      tenant: r.tenant,
      env: r.env,
      name: r.name,
      moduleId: r.module_id,
      capability: r.capability,
      moduleVersion: r.version,
      plan: r.plan,
      parameters: storedJson(Params, r.parameters, `service instance ${r.id} parameters`),
      sealedSecrets: r.secrets,
      generation: r.generation,
      deleting: storedBoolean(r.deleting),
      keepVolume: storedBoolean(r.keep_volume),
      createdBy: r.created_by,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      status:
        r.phase === null
          ? null
          : {
              phase: r.phase,
              message: r.message ?? "",
              observedGeneration: r.observed_generation,
              readyAt: r.ready_at,
            },
    } satisfies ServiceInstanceRecord;
  }

  async create(i: {
    tenantId: number;
    envId: number;
    name: string;
    moduleId: number;
    plan: string;
    parameters: Record<string, unknown>;
    sealedSecrets: string;
    createdBy: string;
  }): Promise<number> {
    const at = nowIso();
    const row = await this.db
      .insertInto("service_instances")
      .values({
        tenant_id: i.tenantId,
        env_id: i.envId,
        name: i.name,
        module_id: i.moduleId,
        plan: i.plan,
        parameters: JSON.stringify(i.parameters),
        secrets: i.sealedSecrets,
        created_by: i.createdBy,
        created_at: at,
        updated_at: at,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async find(tenantId: number, envId: number, name: string): Promise<ServiceInstanceRecord | undefined> {
    const r = await this.query()
      .where("i.tenant_id", "=", tenantId)
      .where("i.env_id", "=", envId)
      .where("i.name", "=", name)
      .executeTakeFirst();
    return r ? this.decode(r) : undefined;
  }

  async byId(id: number): Promise<ServiceInstanceRecord | undefined> {
    const r = await this.query().where("i.id", "=", id).executeTakeFirst();
    return r ? this.decode(r) : undefined;
  }

  async byNames(tenant: string, env: string, name: string): Promise<ServiceInstanceRecord | undefined> {
    const r = await this.query()
      .where("t.name", "=", tenant)
      .where("e.name", "=", env)
      .where("i.name", "=", name)
      .executeTakeFirst();
    return r ? this.decode(r) : undefined;
  }

  async list(tenantId: number, envId?: number): Promise<ServiceInstanceRecord[]> {
    let q = this.query().where("i.tenant_id", "=", tenantId);
    if (envId !== undefined) q = q.where("i.env_id", "=", envId);
    return (await q.orderBy("e.name").orderBy("i.name").execute()).map((r) => this.decode(r));
  }

  async listAll(): Promise<ServiceInstanceRecord[]> {
    return (await this.query().orderBy("i.id").execute()).map((r) => this.decode(r));
  }

  /** How many instances of a capability run under this name in the tenant (any environment). */
  async countNamed(tenantId: number, name: string): Promise<number> {
    const r = await this.db
      .selectFrom("service_instances")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("tenant_id", "=", tenantId)
      .where("name", "=", name)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async update(
    id: number,
    patch: { plan?: string; parameters?: Record<string, unknown>; moduleId?: number },
  ) {
    await this.db
      .updateTable("service_instances")
      .set((eb) => ({
        ...(patch.plan === undefined ? {} : { plan: patch.plan }),
        ...(patch.parameters === undefined ? {} : { parameters: JSON.stringify(patch.parameters) }),
        ...(patch.moduleId === undefined ? {} : { module_id: patch.moduleId }),
        generation: eb("generation", "+", 1),
        updated_at: nowIso(),
      }))
      .where("id", "=", id)
      .execute();
  }

  async markDeleting(id: number, keepVolume: boolean): Promise<void> {
    await this.db
      .updateTable("service_instances")
      .set((eb) => ({
        deleting: 1,
        keep_volume: keepVolume ? 1 : 0,
        generation: eb("generation", "+", 1),
        updated_at: nowIso(),
      }))
      .where("id", "=", id)
      .execute();
  }

  /** Every instance's sealed secrets (a failed provision's dropped ones left out), for key rotation. */
  async listSealed(): Promise<
    { id: number; tenantId: number; envId: number; name: string; sealed: string }[]
  > {
    const rows = await this.db
      .selectFrom("service_instances")
      .select(["id", "tenant_id", "env_id", "name", "secrets"])
      .where("secrets", "!=", "")
      .execute();
    return rows.map((r) => ({
      id: r.id,
      tenantId: r.tenant_id,
      envId: r.env_id,
      name: r.name,
      sealed: r.secrets,
    }));
  }

  async replaceSecrets(id: number, sealed: string): Promise<void> {
    await this.db.updateTable("service_instances").set({ secrets: sealed }).where("id", "=", id).execute();
  }

  /** A failed provision keeps its record for the reason, not its secrets. */
  async dropSecrets(id: number): Promise<void> {
    await this.db.updateTable("service_instances").set({ secrets: "" }).where("id", "=", id).execute();
  }

  /** The reconciler's last word: the instance is gone, with everything it owned. */
  async remove(id: number): Promise<void> {
    await this.db.deleteFrom("service_instances").where("id", "=", id).execute();
  }
}
