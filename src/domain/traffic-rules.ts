import { z } from "zod";
import { Cidr } from "./cidr.js";

/** nginx map keywords: a tag value spelled like one would change the map's meaning. */
const MAP_KEYWORDS = new Set(["default", "hostnames", "include", "volatile"]);

/**
 * HTTP header names Berth can match: nginx exposes them as $http_<name>, with '-' read as '_'.
 * Underscores are refused because nginx drops such headers by default.
 */
export const HEADER_NAME = /^[A-Za-z][A-Za-z0-9-]{0,62}[A-Za-z0-9]$/;
/** Cookie names nginx can read as $cookie_<name>: letters, digits and '_'. */
export const COOKIE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/**
 * Tag values: a token without quotes, spaces, '$', '\', ';', braces or a leading '~' (which
 * nginx reads as a regular expression). Matched exactly and case-sensitively.
 */
export const TAG_VALUE = /^[A-Za-z0-9][A-Za-z0-9._~:@+/=-]{0,127}$/;

/** Berth's own stickiness cookie; a rule may not claim it. */
export const SEED_COOKIE = "berth_seed";

const notKeyword = (v: string) => !MAP_KEYWORDS.has(v.toLowerCase());

export const TagValue = z
  .string()
  .regex(TAG_VALUE, "must be 1-128 letters, digits or . _ ~ : @ + / = -, starting with a letter or digit")
  .refine(notKeyword, { error: "is an nginx keyword (default, hostnames, include, volatile)" });

export const HeaderName = z
  .string()
  .regex(HEADER_NAME, "must be an HTTP header name of letters, digits and '-', such as X-Dept")
  .refine((n) => n.toLowerCase() !== "cookie" && n.toLowerCase() !== "host", {
    error: "cannot be Cookie or Host; use --cookie, or a route for another host",
  });

export const CookieName = z
  .string()
  .regex(COOKIE_NAME, "must be a cookie name of letters, digits and '_', starting with a letter")
  // nginx reads cookie names ignoring case, so Berth_Seed would be Berth's cookie too.
  .refine((n) => n.toLowerCase() !== SEED_COOKIE, {
    error: `is Berth's own stickiness cookie (${SEED_COOKIE})`,
  });

export const HeaderRule = z
  .strictObject({ name: HeaderName, value: TagValue })
  .meta({ id: "HeaderRule", description: "Requests whose header NAME equals VALUE go to the canary" });

export const CookieRule = z
  .strictObject({ name: CookieName, value: TagValue })
  .meta({ id: "CookieRule", description: "Requests whose cookie NAME equals VALUE go to the canary" });

export const Weight = z
  .number()
  .int()
  .min(0)
  .max(100)
  .meta({ description: "Percent of the requests no other rule matched, sticky per client" });

/**
 * Who sees the canary. Precedence: header, then cookie, then source CIDR, then weight; the first
 * rule that matches decides (and is the one credited in metrics); no match means stable.
 */
export const TrafficRules = z
  .strictObject({
    headers: z.array(HeaderRule).max(16).default([]),
    cookie: CookieRule.nullable().default(null),
    sourceCidrs: z.array(Cidr).max(512).default([]),
    weight: Weight.default(0),
  })
  .meta({ id: "TrafficRules" });
export type TrafficRules = z.infer<typeof TrafficRules>;

export const TrafficRuleKind = z.enum(["header", "cookie", "cidr", "weight", "stable"]);
export type TrafficRuleKind = z.infer<typeof TrafficRuleKind>;
