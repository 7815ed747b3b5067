import { z } from "zod";
import type { SecretBox } from "../domain/secret-box.js";
import { bindingContext, instanceContext } from "./sealing-contexts.js";

const Strings = z.record(z.string(), z.string());
const Credentials = z.object({ password: z.string(), files: Strings, env: Strings });

/** What a binding holds, sealed under its own row: its password, its files, its env vars. */
export type BindingCredentials = z.infer<typeof Credentials>;

export const sealBindingCredentials = (box: SecretBox, id: number, c: BindingCredentials) =>
  box.seal(JSON.stringify(c), bindingContext(id));

export function openBindingCredentials(box: SecretBox, id: number, sealed: string): BindingCredentials {
  return Credentials.parse(JSON.parse(box.open(sealed, bindingContext(id))));
}

/** An instance's generated secrets; {} once a failed provision dropped them. */
export function openInstanceSecrets(
  box: SecretBox,
  i: { tenantId: number; envId: number; name: string; sealedSecrets: string },
): Record<string, string> {
  if (i.sealedSecrets === "") return {};
  return Strings.parse(JSON.parse(box.open(i.sealedSecrets, instanceContext(i.tenantId, i.envId, i.name))));
}
