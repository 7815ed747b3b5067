import type Docker from "dockerode";
import { DomainError } from "../../domain/domain-error.js";
import { volumeName } from "../../domain/environment.js";
import { LABEL } from "../../domain/labels.js";
import { ignoreStatus, statusCode } from "./status-code.js";

export interface DockerVolume {
  engineName: string;
  tenant: string;
  env: string;
  name: string;
  sizeBytes: number | null;
  createdAt: string;
}

const isManaged = (labels: Record<string, string> | null | undefined) => labels?.[LABEL.managed] === "true";

/** A Berth server's named volumes on one dockerd, labelled with their tenant, environment and name. */
export class DockerVolumes {
  readonly #scope: string[];

  constructor(
    private readonly docker: Docker,
    private readonly scoped: (domainName: string) => string,
    private readonly unscoped: (engineName: string) => string,
    private readonly scopeLabels: Record<string, string>,
  ) {
    this.#scope = Object.entries(scopeLabels).map(([k, v]) => `${k}=${v}`);
  }

  /** Creates the tenant-environment's named volume if it is not there; returns its engine name. */
  async ensure(identity: { tenant: string; env: string }, name: string): Promise<string> {
    const scoped = this.scoped(volumeName(identity.tenant, identity.env, name));
    const existing = await ignoreStatus(this.docker.getVolume(scoped).inspect(), 404);
    if (existing) {
      if (!isManaged(existing.Labels))
        throw new DomainError("conflict", `refusing to mount volume ${scoped}: Berth does not manage it`);
      return scoped;
    }
    await this.docker.createVolume({
      Name: scoped,
      Labels: {
        [LABEL.tenant]: identity.tenant,
        [LABEL.env]: identity.env,
        [LABEL.volume]: name,
        ...this.scopeLabels,
      },
    });
    return scoped;
  }

  /**
   * This server's volumes with the bytes each uses (dockerd measures them in /system/df, which
   * walks every volume: seconds on a big host, so callers ask for sizes only when shown).
   */
  async list(withSizes: boolean): Promise<DockerVolume[]> {
    const listed = (await this.docker.listVolumes({ filters: { label: this.#scope } })) as {
      Volumes?: { Name: string; Labels?: Record<string, string> | null; CreatedAt?: string }[];
    };
    const sizes = new Map<string, number>();
    if (withSizes) {
      const df = (await this.docker.df()) as {
        Volumes?: { Name: string; UsageData?: { Size?: number } | null }[];
      };
      for (const v of df.Volumes ?? [])
        if ((v.UsageData?.Size ?? -1) >= 0) sizes.set(v.Name, v.UsageData?.Size as number);
    }
    return (listed.Volumes ?? []).flatMap((v) => {
      const labels = v.Labels ?? {};
      const tenant = labels[LABEL.tenant];
      const env = labels[LABEL.env];
      // Volumes made before they carried their own name are named berth.T.E.vol.NAME.
      const name = labels[LABEL.volume] ?? this.unscoped(v.Name).split(".vol.")[1];
      if (!tenant || !env || !name) return [];
      return [
        {
          engineName: v.Name,
          tenant,
          env,
          name,
          sizeBytes: sizes.get(v.Name) ?? null,
          createdAt: v.CreatedAt ?? "",
        },
      ];
    });
  }

  /** Removes a volume of this server; conflict while a container mounts it; a no-op when absent. */
  async remove(identity: { tenant: string; env: string }, name: string): Promise<void> {
    const scoped = this.scoped(volumeName(identity.tenant, identity.env, name));
    const existing = await ignoreStatus(this.docker.getVolume(scoped).inspect(), 404);
    if (!existing) return;
    if (!isManaged(existing.Labels))
      throw new DomainError("conflict", `refusing to remove volume ${scoped}: Berth does not manage it`);
    try {
      await ignoreStatus(this.docker.getVolume(scoped).remove(), 404);
    } catch (error) {
      if (statusCode(error) === 409)
        throw new DomainError("conflict", `volume ${name} is in use by a running release or job`);
      throw error;
    }
  }
}
