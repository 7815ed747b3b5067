/**
 * A model of nginx's `split_clients`, to predict exactly which side a seed lands on.
 *
 * nginx hashes the rendered string with ngx_murmur_hash2 (MurmurHash2, 32-bit, seed 0) and picks
 * the first part whose cumulative bound exceeds the hash; a part of P percent adds
 * floor(P * 100 * 0xffffffff / 10000) to the bound (ngx_http_split_clients_module.c).
 */
export function ngxMurmurHash2(text: string): number {
  const data = Buffer.from(text, "latin1");
  const m = 0x5bd1e995;
  let h = data.length | 0;
  let i = 0;
  for (; data.length - i >= 4; i += 4) {
    let k = data.readUInt32LE(i) | 0;
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = data.length - i;
  if (rest === 3) h ^= data.readUInt8(i + 2) << 16;
  if (rest >= 2) h ^= data.readUInt8(i + 1) << 8;
  if (rest >= 1) {
    h ^= data.readUInt8(i);
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h >>> 0;
}

/** Whether `split_clients "<key>" { <percent>% 1; * 0; }` maps `key` into the first part. */
export function inFirstPart(key: string, percent: number): boolean {
  const bound = (BigInt(Math.round(percent * 100)) * 0xffffffffn) / 10000n;
  return BigInt(ngxMurmurHash2(key)) < bound;
}
