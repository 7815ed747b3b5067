import type { CapabilityManifest } from "../domain/capability-module.js";

/**
 * The names a module's templates and hooks see. Services are reached by host name on their
 * environment's network: the binding's service as the instance itself, every other one as
 * INSTANCE-SERVICE (Dask's workers find their scheduler at ${INSTANCE}).
 */
export function componentName(m: CapabilityManifest, instance: string, service: string): string {
  return service === m.binding.service ? instance : `${instance}-${service}`;
}

/** `max_connections` → MAX_CONNECTIONS */
const variable = (name: string) => name.toUpperCase();

/** A parameter as text: numbers and booleans as written, anything else as JSON. */
export function paramText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export interface InstanceFacts {
  instance: string;
  plan: { cpus: number; memoryMb: number };
  params: Record<string, unknown>;
  secrets: Record<string, string>;
}

/** INSTANCE, HOST, PORT, PLAN_CPUS, PLAN_MEMORY_MB, PARAM_*, SECRET_*. */
export function instanceVariables(m: CapabilityManifest, f: InstanceFacts): Record<string, string> {
  const service = m.services[m.binding.service];
  const out: Record<string, string> = {
    INSTANCE: f.instance,
    HOST: componentName(m, f.instance, m.binding.service),
    PORT: String(service?.port ?? ""),
    PLAN_CPUS: String(f.plan.cpus),
    PLAN_MEMORY_MB: String(f.plan.memoryMb),
  };
  for (const [k, v] of Object.entries(f.params)) out[`PARAM_${variable(k)}`] = paramText(v);
  for (const [k, v] of Object.entries(f.secrets)) out[`SECRET_${variable(k)}`] = v;
  return out;
}

/** What a hook container gets: the instance's variables, and SERVICE_HOST / SERVICE_PORT. */
export function hookEnvironment(vars: Record<string, string>): Record<string, string> {
  return { ...vars, SERVICE_HOST: vars.HOST ?? "", SERVICE_PORT: vars.PORT ?? "" };
}

export function bindingVariables(b: { name: string; username: string; password: string }) {
  return { BINDING_NAME: b.name, BINDING_USERNAME: b.username, BINDING_PASSWORD: b.password };
}

/** The named volumes an instance's services mount, as the engine names them in the environment. */
export function volumesOf(m: CapabilityManifest, instance: string): string[] {
  return Object.values(m.services).flatMap((s) => s.volumes.map((v) => `${instance}-${v.name}`));
}
