import { DomainError } from "./domain-error.js";

/**
 * The images a Dockerfile builds on: every FROM that is not an earlier stage or `scratch`, and
 * every `COPY --from=` that is not a stage. Berth passes no build arguments, so a variable in a
 * FROM must have a default in a global ARG; one without is refused, since it could name anything.
 * Pure: the caller decides which of these images the tenant may use.
 */
export function dockerfileImages(text: string): string[] {
  const lines = logicalLines(text);
  const args = new Map<string, string>();
  const stages: string[] = [];
  const images = new Set<string>();
  let seenFrom = false;
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/s.exec(line);
    if (!m) continue;
    const instruction = (m[1] as string).toUpperCase();
    const rest = (m[2] as string).trim();
    if (instruction === "ARG" && !seenFrom) {
      for (const decl of rest.split(/\s+/)) {
        const [name, value] = splitOnce(decl, "=");
        if (name && value !== undefined) args.set(name, unquote(value));
      }
    } else if (instruction === "FROM") {
      seenFrom = true;
      const words = rest.split(/\s+/).filter((w) => !w.startsWith("--"));
      const image = substitute(words[0] ?? "", args, "FROM");
      const alias = words[1]?.toUpperCase() === "AS" ? words[2]?.toLowerCase() : undefined;
      if (image && image.toLowerCase() !== "scratch" && !stages.includes(image.toLowerCase()))
        images.add(image);
      stages.push(alias ?? `#${stages.length}`);
    } else if (instruction === "COPY" || instruction === "ADD") {
      for (const flag of rest.match(/--from=\S+/g) ?? []) {
        const ref = flag.slice("--from=".length);
        if (/[$]/.test(ref)) throw refused(`COPY ${flag} uses a variable; name the stage or image itself`);
        const isStage = /^\d+$/.test(ref) || stages.includes(ref.toLowerCase());
        if (!isStage) images.add(ref);
      }
    }
  }
  return [...images];
}

const refused = (why: string) => new DomainError("failed", `build failed: ${why}`);

/** Joins continuation lines and drops comments and parser directives. */
function logicalLines(text: string): string[] {
  const escape = /^#\s*escape\s*=\s*`/im.test(text.split("\n", 5).join("\n")) ? "`" : "\\";
  const out: string[] = [];
  let current = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("#")) continue;
    if (line.endsWith(escape)) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim()) out.push(current.trim());
    current = "";
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

function substitute(word: string, args: Map<string, string>, where: string): string {
  return word.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, a, fallback, b) => {
      const name = (a ?? b) as string;
      const value = args.get(name) ?? (fallback as string | undefined);
      if (value === undefined)
        throw refused(`${where} uses \${${name}}, which has no default; Berth passes no build arguments`);
      return value;
    },
  );
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

const unquote = (v: string) => v.replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
