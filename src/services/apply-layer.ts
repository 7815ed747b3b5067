import { entryContext } from "../config/sealing-contexts.js";
import { DomainError } from "../domain/domain-error.js";
import type { SecretBox } from "../domain/secret-box.js";
import { SETTING_NAMES, type Settings } from "../domain/settings.js";
import type { LayerScope } from "../store/config-repository.js";
import type { Store } from "../store/store.js";

/** One layer as berth.yaml declares it. */
export interface LayerSpec {
  config?: Record<string, string>;
  secrets?: Record<string, "keep" | { value: string }>;
  resources?: Settings;
  files?: Record<string, string>;
}

/** Makes one layer equal to its spec; sections the spec leaves out are left alone. */
export async function applyLayer(
  tx: Store,
  box: SecretBox,
  scope: LayerScope,
  spec: LayerSpec,
  target: string,
  path: string,
  step: (action: string, target: string, detail?: string) => void,
): Promise<void> {
  const current = await tx.config.layer(scope);
  const entries = new Map(current.entries.map((e) => [e.key, e]));
  const remove: string[] = [];
  if (spec.config) {
    for (const [key, value] of Object.entries(spec.config)) {
      const e = entries.get(key);
      if (e && !e.secret && e.value === value) continue;
      await tx.config.putEntry(scope, key, false, value);
      step(e ? "change config" : "set config", target, key);
    }
    for (const e of current.entries)
      if (!e.secret && !Object.hasOwn(spec.config, e.key) && !Object.hasOwn(spec.secrets ?? {}, e.key))
        remove.push(e.key);
  }
  if (spec.secrets) {
    for (const [key, source] of Object.entries(spec.secrets)) {
      const e = entries.get(key);
      const context = entryContext({
        tenant_id: scope.tenantId,
        app_id: scope.appId,
        env_id: scope.envId,
        key,
      });
      if (source === "keep") {
        if (!e?.secret)
          throw new DomainError(
            "invalid",
            `secret ${key} of ${target} is 'keep' but has no value yet; give it with fromEnv or fromFile, or 'berth secret set'`,
            `${path}secrets.${key}`,
          );
        continue;
      }
      if (e?.secret && box.open(e.value, context) === source.value) continue;
      await tx.config.putEntry(scope, key, true, box.seal(source.value, context));
      step(e ? "change secret" : "set secret", target, `${key} (value hidden)`);
    }
    for (const e of current.entries)
      if (e.secret && !Object.hasOwn(spec.secrets, e.key) && !Object.hasOwn(spec.config ?? {}, e.key))
        remove.push(e.key);
  }
  if (remove.length > 0) {
    await tx.config.deleteEntries(scope, remove);
    for (const key of remove) step("unset", target, key);
  }
  if (spec.resources) {
    const settings = new Map(current.settings.map((s) => [s.name, JSON.stringify(s.value)]));
    for (const name of SETTING_NAMES) {
      const want = spec.resources[name];
      const have = settings.get(name);
      if (want === undefined) {
        if (have !== undefined) {
          await tx.config.deleteSetting(scope, name);
          step("unset resource", target, name);
        }
      } else if (have !== JSON.stringify(want)) {
        await tx.config.putSetting(scope, name, want);
        step("set resource", target, `${name}=${JSON.stringify(want)}`);
      }
    }
  }
  if (spec.files) {
    const files = new Map(current.files.map((f) => [f.path, f.value]));
    for (const [file, content] of Object.entries(spec.files)) {
      if (files.get(file) === content) continue;
      await tx.config.putFile(scope, file, content);
      step(files.has(file) ? "change file" : "add file", target, file);
    }
    for (const file of files.keys())
      if (!Object.hasOwn(spec.files, file)) {
        await tx.config.deleteFile(scope, file);
        step("remove file", target, file);
      }
  }
}
