import { DomainError } from "../domain/domain-error.js";

/** Names with their dependencies first (stable otherwise); unknown names and cycles are errors. */
export function orderByDependencies(
  items: readonly { name: string; dependsOn: readonly string[] }[],
): string[] {
  const byName = new Map(items.map((i) => [i.name, i]));
  const out: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting")
      throw new DomainError(
        "invalid",
        `dependsOn has a cycle: ${[...path, name].join(" → ")}`,
        `apps.${name}.dependsOn`,
      );
    state.set(name, "visiting");
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      if (!byName.has(dep))
        throw new DomainError(
          "invalid",
          `${name} depends on ${dep}, which the manifest does not declare`,
          `apps.${name}.dependsOn`,
        );
      visit(dep, [...path, name]);
    }
    state.set(name, "done");
    out.push(name);
  };
  for (const i of items) visit(i.name, []);
  return out;
}
