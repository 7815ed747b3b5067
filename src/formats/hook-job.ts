import type { CapabilityManifest, ModuleHook } from "../domain/capability-module.js";
import { moduleImageTag } from "../domain/capability-module.js";
import type { JobSpec } from "../domain/job.js";
import { componentName, hookEnvironment } from "./module-variables.js";

/**
 * A module hook as a job: from the module's image (the hook's own, else the service's), in the
 * instance's environment under its binding service's component, with the variables as its
 * environment. Nothing of a user's reaches its arguments, which are the module's literals.
 */
export function hookJob(
  m: CapabilityManifest,
  module: { capability: string; version: string; digest: string },
  at: { tenant: string; env: string; instance: string },
  hook: ModuleHook,
  service: string,
  purpose: string,
  vars: Record<string, string>,
  volumes: { name: string; path: string }[] = [],
): JobSpec {
  const image = hook.image ?? m.services[service]?.image ?? Object.keys(m.images)[0] ?? "";
  const suffix = Math.random().toString(36).slice(2, 8);
  return {
    identity: { tenant: at.tenant, env: at.env, app: componentName(m, at.instance, m.binding.service) },
    name: `${purpose}-${suffix}`.slice(0, 63),
    image: moduleImageTag(module, image),
    command: hook.command,
    env: hookEnvironment(vars),
    files: [],
    // A hook is a short chore: it never takes more than one core, whatever it runs.
    cpus: 1,
    memoryMb: 256,
    volumes,
    timeoutSeconds: hook.timeoutSeconds,
  };
}
