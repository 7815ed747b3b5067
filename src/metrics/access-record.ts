import { DNS_LABEL } from "../domain/dns-label.js";
import { TrafficRuleKind } from "../domain/traffic-rules.js";

/** One request as the router logged it. Times are whole milliseconds: nginx logs them to the ms. */
export interface AccessRecord {
  /** When nginx wrote the line, which is when the request finished. */
  atMs: number;
  /** "tenant/env/app"; null when the request matched no app (the default server answered). */
  app: string | null;
  /** null when the app had no release to send it to, so nginx answered by itself. */
  release: number | null;
  /** The canary rule that chose the release; null when no rule was involved. */
  rule: TrafficRuleKind | null;
  status: number;
  requestTimeMs: number;
}

/** msec, berth_app, berth_release, berth_rule, status, request_time, upstream_response_time, remote_addr, host, "request" */
const FIELD_COUNT = 10;
/** nginx prints $msec and $request_time with exactly three decimals; 12 digits keep ms a safe integer. */
const SECONDS_WITH_MS = /^(\d{1,12})\.(\d{3})$/;
const RELEASE = /^[1-9]\d{0,8}$/;
const STATUS = /^\d{3}$/;
/** nginx joins the times of retried upstreams with ", " and of internal redirects with " : ". */
const UPSTREAM_TIMES = /^(?:-|\d+\.\d{3})(?:(?:, | : )(?:-|\d+\.\d{3}))*$/;
/** nginx writes bytes below 0x20 as \xHH; a raw one (other than the separator) means the line was torn or is not ours. */
const RAW_CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const RULES: ReadonlySet<string> = new Set(TrafficRuleKind.options);

const toMs = (match: RegExpExecArray) => Number(match[1]) * 1000 + Number(match[2]);

/**
 * Parses one line of the `berth` access log format. Returns null for any line that does not
 * have exactly that shape, so one bad line (a torn write, a hand edit) costs one request, never
 * the poll that read it.
 */
export function parseAccessLine(line: string): AccessRecord | null {
  if (RAW_CONTROL.test(line)) return null;
  const fields = line.split("\t");
  if (fields.length !== FIELD_COUNT) return null;
  const [msec, app, release, rule, status, requestTime, upstreamTimes, remoteAddr, host, request] =
    fields as [string, string, string, string, string, string, string, string, string, string];

  const at = SECONDS_WITH_MS.exec(msec);
  const took = SECONDS_WITH_MS.exec(requestTime);
  if (!at || !took) return null;
  if (app !== "-" && !isAppKey(app)) return null;
  if (release !== "-" && !RELEASE.test(release)) return null;
  if (rule !== "-" && !RULES.has(rule)) return null;
  if (!STATUS.test(status) || !UPSTREAM_TIMES.test(upstreamTimes)) return null;
  if (remoteAddr === "" || host === "" || request.length < 2) return null;
  if (!request.startsWith('"') || !request.endsWith('"')) return null;

  return {
    atMs: toMs(at),
    app: app === "-" ? null : app,
    release: release === "-" ? null : Number(release),
    rule: rule === "-" ? null : (rule as TrafficRuleKind),
    status: Number(status),
    requestTimeMs: toMs(took),
  };
}

function isAppKey(value: string): boolean {
  const parts = value.split("/");
  return parts.length === 3 && parts.every((part) => DNS_LABEL.test(part));
}
