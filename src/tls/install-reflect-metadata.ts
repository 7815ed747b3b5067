/**
 * @peculiar/x509 registers its algorithms with tsyringe, which refuses to load unless
 * `Reflect.getMetadata` exists. The usual fix is the reflect-metadata package, which Berth does not
 * ship; tsyringe only needs these three calls (x509 is built without `emitDecoratorMetadata`), so a
 * WeakMap is enough. It installs nothing when a real polyfill is already present.
 */
type MetadataMap = Map<unknown, unknown>;
type Key = object;

const store = new WeakMap<Key, MetadataMap>();
const reflect = Reflect as unknown as Record<string, unknown>;

function ownMap(target: Key, create: boolean): MetadataMap | undefined {
  let map = store.get(target);
  if (!map && create) {
    map = new Map();
    store.set(target, map);
  }
  return map;
}

if (typeof reflect.getMetadata !== "function") {
  reflect.defineMetadata = (key: unknown, value: unknown, target: Key) => {
    ownMap(target, true)?.set(key, value);
  };
  reflect.getOwnMetadata = (key: unknown, target: Key) => ownMap(target, false)?.get(key);
  // Metadata is inherited along the prototype chain, as in the reflect-metadata proposal.
  reflect.getMetadata = (key: unknown, target: Key) => {
    for (let t: Key | null = target; t; t = Object.getPrototypeOf(t) as Key | null) {
      const map = ownMap(t, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
}
