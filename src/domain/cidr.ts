import { z } from "zod";

function ipv4Bits(address: string): bigint {
  return address.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6Bits(address: string): bigint {
  const [head = "", tail] = address.split("::");
  const parts = (s: string) => (s === "" ? [] : s.split(":"));
  const left = parts(head);
  const right = tail === undefined ? [] : parts(tail);
  const missing = 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** The network address of a CIDR, or null when it has host bits set (e.g. 10.1.2.3/8). */
export function cidrHostBitsFree(cidr: string): boolean {
  const [address = "", prefixText = ""] = cidr.split("/");
  const prefix = BigInt(Number(prefixText));
  const v6 = address.includes(":");
  const width = v6 ? 128n : 32n;
  const bits = v6 ? ipv6Bits(address) : ipv4Bits(address);
  const hostMask = (1n << (width - prefix)) - 1n;
  return (bits & hostMask) === 0n;
}

/**
 * An IPv4 or IPv6 network in CIDR notation, with no host bits set: nginx would silently widen
 * 10.1.2.3/8 to 10.0.0.0/8, which is never what the user meant to type.
 */
export const Cidr = z
  .union([z.cidrv4(), z.cidrv6()], { error: "must be a CIDR such as 10.20.0.0/16 or 2001:db8::/32" })
  // cidrHostBitsFree reads hex groups only; an IPv4-mapped form has a plain IPv4 spelling.
  .refine((c) => !(c.includes(":") && c.includes(".")), { error: "write IPv4-mapped networks as IPv4" })
  .refine(cidrHostBitsFree, { error: "has host bits set after the prefix; use the network address" })
  .meta({ description: "IPv4 or IPv6 network in CIDR notation", example: "10.20.0.0/16" });
