import { describe, expect, it } from "vitest";
import { needsRenewal } from "../../../src/tls/renewal.js";

const NOW = new Date("2030-01-01T00:00:00.000Z");
const DAY_MS = 86_400_000;
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

describe("needsRenewal", () => {
  it("leaves a certificate alone until 30 days before it expires", () => {
    expect(needsRenewal(at(60 * DAY_MS), NOW)).toBe(false);
    expect(needsRenewal(at(30 * DAY_MS + 1), NOW)).toBe(false);
  });

  it("renews at exactly 30 days left, inside the window, and after expiry", () => {
    expect(needsRenewal(at(30 * DAY_MS), NOW)).toBe(true);
    expect(needsRenewal(at(DAY_MS), NOW)).toBe(true);
    expect(needsRenewal(at(0), NOW)).toBe(true);
    expect(needsRenewal(at(-DAY_MS), NOW)).toBe(true);
  });

  it("honours a custom window", () => {
    expect(needsRenewal(at(10 * DAY_MS), NOW, 7)).toBe(false);
    expect(needsRenewal(at(7 * DAY_MS), NOW, 7)).toBe(true);
    expect(needsRenewal(at(DAY_MS), NOW, 0)).toBe(false);
    expect(needsRenewal(at(0), NOW, 0)).toBe(true);
  });

  it("renews when the stored date cannot be read", () => {
    expect(needsRenewal("not a date", NOW)).toBe(true);
    expect(needsRenewal("", NOW)).toBe(true);
  });
});
