import type { Readable } from "node:stream";
import type { z } from "zod";
import type {
  AddModuleRequest,
  CatalogDetail,
  CatalogEntry,
  CreateServiceRequest,
  ServiceBinding,
  ServiceInstance,
  ServiceOperation,
  UpdateServiceRequest,
} from "../domain/service-instance.js";
import { ApiCalls } from "./api-calls.js";
import { connection } from "./cli-config.js";

export interface BindOutcome {
  binding: ServiceBinding;
  release: number | null;
  eventCursor: number;
}

export interface AddModuleResult {
  capability: string;
  version: string;
  scope: "platform" | "tenant";
  added: boolean;
  images: string[];
}

const env = (t: string, e: string) => ({ path: { tenant: t, env: e } });
const service = (t: string, e: string, s: string) => ({ path: { tenant: t, env: e, service: s } });

/** The catalog, service instances and bindings: the API calls `berth catalog|service|bind` make. */
export class ServiceApiClient extends ApiCalls {
  listCatalog = (t: string | undefined): Promise<CatalogEntry[]> =>
    this.call(this.api.GET("/catalog", { params: { query: { tenant: t } } })) as Promise<CatalogEntry[]>;
  showCapability = (t: string | undefined, capability: string): Promise<CatalogDetail> =>
    this.call(
      this.api.GET("/catalog/{capability}", { params: { path: { capability }, query: { tenant: t } } }),
    ) as Promise<CatalogDetail>;
  addModule = (req: z.input<typeof AddModuleRequest>): Promise<AddModuleResult> =>
    this.call(this.api.POST("/catalog", { body: req })) as Promise<AddModuleResult>;
  listServices = (t: string, e: string): Promise<ServiceInstance[]> =>
    this.call(this.api.GET("/tenants/{tenant}/envs/{env}/services", { params: env(t, e) })) as Promise<
      ServiceInstance[]
    >;
  createService = (
    t: string,
    e: string,
    req: z.input<typeof CreateServiceRequest>,
  ): Promise<ServiceInstance> =>
    this.call(
      this.api.POST("/tenants/{tenant}/envs/{env}/services", { params: env(t, e), body: req }),
    ) as Promise<ServiceInstance>;
  updateService = (
    t: string,
    e: string,
    s: string,
    req: z.input<typeof UpdateServiceRequest>,
  ): Promise<ServiceInstance> =>
    this.call(
      this.api.PATCH("/tenants/{tenant}/envs/{env}/services/{service}", {
        params: service(t, e, s),
        body: req,
      }),
    ) as Promise<ServiceInstance>;
  service = (t: string, e: string, s: string): Promise<ServiceInstance> =>
    this.call(
      this.api.GET("/tenants/{tenant}/envs/{env}/services/{service}", { params: service(t, e, s) }),
    ) as Promise<ServiceInstance>;
  operation = (t: string, e: string, s: string, id: number): Promise<ServiceOperation> =>
    this.call(
      this.api.GET("/tenants/{tenant}/envs/{env}/services/{service}/operations/{id}", {
        params: { path: { tenant: t, env: e, service: s, id } },
      }),
    ) as Promise<ServiceOperation>;
  deleteService = (t: string, e: string, s: string, keepVolume: boolean): Promise<ServiceInstance> =>
    this.call(
      this.api.DELETE("/tenants/{tenant}/envs/{env}/services/{service}", {
        params: { ...service(t, e, s), query: { keepVolume: keepVolume ? "true" : "false" } },
      }),
    ) as Promise<ServiceInstance>;
  serviceLogs(t: string, e: string, s: string, follow: boolean, tail: number): Promise<Readable> {
    return this.stream(
      this.api.GET("/tenants/{tenant}/envs/{env}/services/{service}/logs", {
        params: { ...service(t, e, s), query: { follow: follow ? "true" : "false", tail } },
        parseAs: "stream",
      }),
    );
  }
  bind = (t: string, e: string, a: string, req: { service: string; as?: string }): Promise<BindOutcome> =>
    this.call(
      this.api.POST("/tenants/{tenant}/envs/{env}/apps/{app}/bindings", {
        params: { path: { tenant: t, env: e, app: a } },
        body: req,
      }),
    ) as Promise<BindOutcome>;
  unbind = (t: string, e: string, a: string, binding: string): Promise<BindOutcome> =>
    this.call(
      this.api.DELETE("/tenants/{tenant}/envs/{env}/apps/{app}/bindings/{binding}", {
        params: { path: { tenant: t, env: e, app: a, binding } },
      }),
    ) as Promise<BindOutcome>;
  rotateBinding = (t: string, e: string, a: string, binding: string): Promise<BindOutcome> =>
    this.call(
      this.api.POST("/tenants/{tenant}/envs/{env}/apps/{app}/bindings/{binding}/rotate", {
        params: { path: { tenant: t, env: e, app: a, binding } },
      }),
    ) as Promise<BindOutcome>;
  listBindings = (t: string, e: string, a: string): Promise<ServiceBinding[]> =>
    this.call(
      this.api.GET("/tenants/{tenant}/envs/{env}/apps/{app}/bindings", {
        params: { path: { tenant: t, env: e, app: a } },
      }),
    ) as Promise<ServiceBinding[]>;
}

export function serviceClientFromConfig(): ServiceApiClient {
  const { url, token } = connection();
  return new ServiceApiClient(url, token);
}
