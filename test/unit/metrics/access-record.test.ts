import { describe, expect, it } from "vitest";
import { parseAccessLine } from "../../../src/metrics/access-record.js";

const FIELDS = [
  "1764300000.123",
  "acme/prod/web",
  "7",
  "weight",
  "503",
  "0.012",
  "0.010",
  "10.0.0.1",
  "web.example.com",
  '"GET /x HTTP/1.1"',
];
const line = (changes: Record<number, string> = {}) =>
  FIELDS.map((field, i) => (i in changes ? changes[i] : field)).join("\t");

describe("parseAccessLine", () => {
  it("reads every field Berth uses, in milliseconds", () => {
    expect(parseAccessLine(line())).toEqual({
      atMs: 1_764_300_000_123,
      app: "acme/prod/web",
      release: 7,
      rule: "weight",
      status: 503,
      requestTimeMs: 12,
    });
  });

  it("reads '-' as no app, no release and no rule", () => {
    expect(parseAccessLine(line({ 1: "-", 2: "-", 3: "-", 6: "-" }))).toMatchObject({
      app: null,
      release: null,
      rule: null,
    });
  });

  it.each(["header", "cookie", "cidr", "weight", "stable"])("accepts the rule %s", (rule) => {
    expect(parseAccessLine(line({ 3: rule }))?.rule).toBe(rule);
  });

  it.each(["0.010", "0.001, 0.004", "0.001 : 0.002", "-", "0.001, -", "0.002, 0.001 : 0.003"])(
    "accepts the upstream times %j",
    (times) => {
      expect(parseAccessLine(line({ 6: times }))).not.toBeNull();
    },
  );

  it("keeps long requests and large release numbers exact", () => {
    const record = parseAccessLine(line({ 0: "1764300000.999", 2: "123456789", 5: "3600.001" }));
    expect(record).toMatchObject({ atMs: 1_764_300_000_999, release: 123_456_789, requestTimeMs: 3_600_001 });
  });

  it.each<[string, string]>([
    ["an empty line", ""],
    ["spaces instead of tabs", FIELDS.join(" ")],
    ["a missing field", FIELDS.slice(0, 9).join("\t")],
    ["an extra field", `${line()}\textra`],
    ["msec without decimals", line({ 0: "1764300000" })],
    ["msec with two decimals", line({ 0: "1764300000.12" })],
    ["negative msec", line({ 0: "-1764300000.123" })],
    ["msec not a number", line({ 0: "yesterday" })],
    ["an app of two parts", line({ 1: "acme/web" })],
    ["an app of four parts", line({ 1: "acme/prod/web/x" })],
    ["an app with upper case", line({ 1: "Acme/prod/web" })],
    ["an app with an empty part", line({ 1: "acme//web" })],
    ["an app label ending in '-'", line({ 1: "acme/prod/web-" })],
    ["release 0", line({ 2: "0" })],
    ["a negative release", line({ 2: "-1" })],
    ["a fractional release", line({ 2: "1.5" })],
    ["a release with a leading zero", line({ 2: "07" })],
    ["an unknown rule", line({ 3: "random" })],
    ["an empty rule", line({ 3: "" })],
    ["a two-digit status", line({ 4: "20" })],
    ["a four-digit status", line({ 4: "2000" })],
    ["a status that is not a number", line({ 4: "OK" })],
    ["request_time '-'", line({ 5: "-" })],
    ["request_time with two decimals", line({ 5: "0.01" })],
    ["upstream times joined by a bare comma", line({ 6: "0.010,0.004" })],
    ["upstream times that are words", line({ 6: "slow" })],
    ["empty upstream times", line({ 6: "" })],
    ["an empty remote address", line({ 7: "" })],
    ["an empty host", line({ 8: "" })],
    ["an unquoted request", line({ 9: "GET / HTTP/1.1" })],
    ["a request that is one quote", line({ 9: '"' })],
    ["a raw carriage return", `${line()}\r`],
    ["a raw control byte", line({ 9: '"GET /\x01 HTTP/1.1"' })],
  ])("rejects %s", (_what, text) => {
    expect(parseAccessLine(text)).toBeNull();
  });
});
