import type { CanaryPolicy } from "./route.js";

/** nginx's variable for a request header: lower case, '-' read as '_'. */
const headerVariable = (name: string) => `$http_${name.toLowerCase().replaceAll("-", "_")}`;

interface Link {
  source: string;
  matches: string[];
  rule: string;
}

/** How a backend's requests are split: fixed to one side, or by the variables the maps define. */
export type CanarySplit =
  | { kind: "fixed"; side: "stable" | "canary"; rule: "stable" | "weight" }
  | { kind: "maps"; lines: string[]; ruleVar: string; upstreamVar: string; releaseVar: string };

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/**
 * A map key that matches `value` exactly and case-sensitively. A plain string key would not:
 * nginx lower-cases map keys and looks values up case-insensitively, and a string key longer
 * than ~110 bytes overflows map_hash_bucket_size so `nginx -t` fails. Of the characters a tag
 * value may hold, only '.' and '+' mean something in a regular expression.
 */
const exactly = (value: string) => `~^${value.replace(/[.+]/g, (c) => `[${c}]`)}$`;

/**
 * The http-level maps that pick a release for backend `b`. Each rule is one link of a chain that
 * yields its own name when it matches and defers to the next link otherwise, so precedence is
 * header → cookie → source CIDR → weight → stable, and only the links a request reaches are
 * evaluated (maps are lazy). Values were allow-listed (no quotes, '$', '\', spaces or nginx
 * keywords), so quoting them is safe.
 */
export function renderCanarySplit(
  b: string,
  policy: CanaryPolicy,
  upstreams: { stable: string; canary: string },
  stableRelease: number,
): CanarySplit {
  const { rules } = policy;
  const lines: string[] = [];
  const links: Link[] = [];
  const byHeader = new Map<string, string[]>();
  for (const h of rules.headers) {
    const key = h.name.toLowerCase();
    byHeader.set(key, [...(byHeader.get(key) ?? []), h.value]);
  }
  for (const name of sorted(byHeader.keys())) {
    const values = sorted(byHeader.get(name) ?? []).map(exactly);
    links.push({ source: headerVariable(name), matches: values, rule: "header" });
  }
  if (rules.cookie)
    links.push({
      source: `$cookie_${rules.cookie.name}`,
      matches: [exactly(rules.cookie.value)],
      rule: "cookie",
    });
  if (rules.sourceCidrs.length > 0) {
    // geo values are static, so it yields a flag and a link turns the flag into the rule name.
    lines.push(
      `  geo $${b}_ip {`,
      "    default 0;",
      ...sorted(rules.sourceCidrs).map((c) => `    ${c} 1;`),
      "  }",
    );
    links.push({ source: `$${b}_ip`, matches: ["1"], rule: "cidr" });
  }

  let tail: string;
  if (rules.weight >= 100) tail = "weight";
  else if (rules.weight <= 0) tail = "stable";
  else {
    // The client's seed cookie is hashed, so a client stays on its side, and raising the weight
    // only moves more clients over: split_clients fills its ranges from the bottom.
    lines.push(
      `  split_clients "\${berth_seed}${policy.seed}" $${b}_w {`,
      `    ${rules.weight}% 1;`,
      "    * 0;",
      "  }",
      `  map $${b}_w $${b}_wr {`,
      "    default stable;",
      "    1 weight;",
      "  }",
    );
    tail = `$${b}_wr`;
  }
  if (links.length === 0 && (tail === "stable" || tail === "weight"))
    return { kind: "fixed", side: tail === "stable" ? "stable" : "canary", rule: tail };

  links.forEach((link, i) => {
    const next = i + 1 < links.length ? `$${b}_r${i + 1}` : tail;
    lines.push(
      `  map ${link.source} $${b}_r${i} {`,
      `    default ${next};`,
      ...link.matches.map((m) => `    "${m}" ${link.rule};`),
      "  }",
    );
  });
  const ruleVar = links.length > 0 ? `$${b}_r0` : tail;
  lines.push(
    `  map ${ruleVar} $${b}_up {`,
    `    default ${upstreams.canary};`,
    `    stable ${upstreams.stable};`,
    "  }",
    `  map ${ruleVar} $${b}_rel {`,
    `    default ${policy.pool.release};`,
    `    stable ${stableRelease};`,
    "  }",
    "",
  );
  return { kind: "maps", lines, ruleVar, upstreamVar: `$${b}_up`, releaseVar: `$${b}_rel` };
}
