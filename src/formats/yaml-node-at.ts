import { isCollection, isMap, isScalar, isSeq, type Node } from "yaml";

/**
 * The node a path leads to, or the deepest that exists. A string path is dotted, but keys may
 * hold dots themselves (file paths), so each step takes the longest key that fits.
 */
export function yamlNodeAt(
  root: Node | null,
  path: string[] | string,
  /** A field whose value is a map or list is found at its key's line, not its first child's. */
  keyOfCollections = false,
): Node | null {
  let node = root;
  let keyNode: Node | null = null;
  let rest = typeof path === "string" ? path : path.join("\u0000");
  const sep = typeof path === "string" ? "." : "\u0000";
  while (node && rest !== "") {
    let next: Node | null = null;
    let nextKey: Node | null = null;
    let used = 0;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : "";
        if ((rest === key || rest.startsWith(key + sep)) && key.length >= used) {
          next = (pair.value as Node | null) ?? (pair.key as Node);
          nextKey = pair.key as Node;
          used = key.length;
        }
      }
    } else if (isSeq(node)) {
      const m = /^\d+/.exec(rest);
      if (m) {
        next = (node.items[Number(m[0])] as Node | undefined) ?? null;
        used = m[0].length;
      }
    }
    if (!next) break;
    node = next;
    keyNode = nextKey;
    rest = rest.slice(used + (rest.length > used ? sep.length : 0));
  }
  return keyOfCollections && keyNode && isCollection(node) ? keyNode : node;
}
