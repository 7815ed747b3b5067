import { describe, expect, it } from "vitest";
import { ServerConfig } from "../../src/server-config.js";
import { isPostgresUrl, maskDatabaseUrl } from "../../src/store/mask-database-url.js";

const database = ServerConfig.shape.database;

describe("--database", () => {
  it.each([
    "postgres://berth@127.0.0.1:5432/berth",
    "postgresql://berth:s3cr%40t@db.example.com/berth?sslmode=require",
  ])("accepts %s", (url) => {
    expect(database.parse(url)).toBe(url);
    expect(isPostgresUrl(url)).toBe(true);
  });

  it("may be left out (SQLite)", () => {
    expect(database.parse(undefined)).toBeUndefined();
  });

  it.each([
    "mysql://berth@127.0.0.1/berth",
    "sqlite:///var/lib/berth/berth.db",
    "postgres://berth:pass word@h/db",
    "postgres://berth@h/db\n--help",
    "postgres://berth@h/d\u00e9",
    "postgres://",
    `postgres://h/${"a".repeat(2050)}`,
  ])("rejects %j without quoting it", (url) => {
    const result = database.safeParse(url);
    expect(result.success).toBe(false);
    for (const issue of result.error?.issues ?? []) {
      expect(issue.message).toMatch(/^--database must/);
      expect(issue.message).not.toContain("pass word");
    }
  });
});

describe("maskDatabaseUrl", () => {
  it("leaves out the password and says so", () => {
    expect(maskDatabaseUrl("postgres://berth:s3cret@127.0.0.1:5432/berth")).toBe(
      "postgres://berth@127.0.0.1:5432/berth (password hidden)",
    );
    expect(maskDatabaseUrl("postgresql://berth@h/db?sslmode=require&password=s3cret")).toBe(
      "postgresql://berth@h/db?sslmode=require (password hidden)",
    );
  });

  it("shows a URL without a password as it is", () => {
    expect(maskDatabaseUrl("postgres://berth@127.0.0.1:55432/berth_test")).toBe(
      "postgres://berth@127.0.0.1:55432/berth_test",
    );
  });

  it("shows nothing of a URL it cannot parse", () => {
    expect(maskDatabaseUrl("postgres://berth:s3cret@[bad")).not.toContain("s3cret");
  });
});
