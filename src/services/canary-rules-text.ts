import type { TrafficRules } from "../domain/traffic-rules.js";

/** The rules in the words a user typed them, for events and messages. */
export function canaryRulesText(rules: TrafficRules): string {
  const parts = [
    ...rules.headers.map((h) => `header ${h.name}=${h.value}`),
    ...(rules.cookie ? [`cookie ${rules.cookie.name}=${rules.cookie.value}`] : []),
    ...(rules.sourceCidrs.length > 0 ? [`source ${rules.sourceCidrs.join(",")}`] : []),
    `weight ${rules.weight}%`,
  ];
  return parts.join(", ");
}
