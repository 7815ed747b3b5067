import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthProcess } from "../support/berth-process.js";

interface Entry {
  id: number;
  actor: string;
  tenant: string | null;
  env: string | null;
  object: { kind: string; name: string } | null;
  action: string;
  result: number;
  source: string;
  change: string | null;
  hash: string | null;
}

/**
 * An auditor's questions, answered from the CLI against a real server: who created app X, who
 * changed its prod config and when, and from which address; a secret's value appears nowhere;
 * the log streams out as JSON lines, and `audit verify` finds a row edited in the database.
 */
describe("the audit log as an auditor uses it", () => {
  let berth: BerthProcess;
  const SECRET = "s3cret-value-that-must-never-be-logged";

  beforeAll(async () => {
    berth = await BerthProcess.start({ drainMs: 100 });
    await berth.ok(["tenant", "create", "acme"]);
    await berth.ok(["env", "create", "prod", "--tenant", "acme"]);
    await berth.ok(["app", "create", "auditme", "--tenant", "acme"]);
    await berth.ok([
      "config",
      "set",
      "auditme",
      "--tenant",
      "acme",
      "--env",
      "prod",
      "--stage",
      "LOG_LEVEL=warn",
    ]);
    const secret = await berth.cli(
      ["secret", "set", "auditme", "DB_PASSWORD", "--tenant", "acme", "--env", "prod", "--stage", "--stdin"],
      { input: SECRET },
    );
    expect(secret.code, secret.stderr).toBe(0);
  });
  afterAll(async () => {
    await berth?.destroy();
  });

  const entries = async (...filter: string[]): Promise<Entry[]> =>
    JSON.parse(await berth.ok(["audit", "--tenant", "acme", ...filter, "--json"]));

  it("names who created the app, with the object, its tenant and where the call came from", async () => {
    const [created, ...more] = await entries("--object", "app/auditme", "--actor", "admin");
    expect(created).toMatchObject({
      actor: "admin",
      tenant: "acme",
      object: { kind: "app", name: "auditme" },
      action: "POST /tenants/{tenant}/apps",
      result: 201,
      source: "127.0.0.1",
    });
    expect(created?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(more.map((e) => e.env)).toEqual(["prod", "prod"]);
  });

  it("says who changed its prod config and when, by key, never by secret value", async () => {
    const changes = await entries("--object", "app/auditme", "--env", "prod");
    expect(changes.map((e) => e.change)).toEqual([
      'set=LOG_LEVEL stage=true layer="auditme in prod"',
      'secrets=DB_PASSWORD stage=true layer="auditme in prod"',
    ]);
    expect(changes.every((e) => e.actor === "admin" && e.result === 200)).toBe(true);
    const table = await berth.ok(["audit", "--tenant", "acme", "--object", "app/auditme", "--env", "prod"]);
    expect(table).toMatch(
      /admin\s+acme\s+prod\s+app\/auditme\s+PATCH \/tenants\/\{tenant\}\/config\s+200\s+127\.0\.0\.1/,
    );
  });

  it("streams the whole log as JSON lines with the hash chain, and no secret value anywhere", async () => {
    const r = await berth.cli(["audit", "export", "--format", "jsonl"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Entry & { prevHash: string });
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < lines.length; i++) expect(lines[i]?.prevHash).toBe(lines[i - 1]?.hash);
    expect(r.stdout).not.toContain(SECRET);
    const bad = await berth.cli(["audit", "export", "--format", "csv"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe("berth: --format csv is not known; use jsonl");
  });

  it("verify says the log is intact, then names the row someone edited in the database", async () => {
    const intact = await berth.cli(["audit", "verify"]);
    expect(intact.code, intact.stderr).toBe(0);
    expect(intact.stdout).toMatch(/^audit log intact: \d+ row\(s\), head [0-9a-f]{64}$/m);
    const head = /head ([0-9a-f]{64})/.exec(intact.stdout)?.[1] as string;
    expect((await berth.cli(["audit", "verify", "--head", head])).code).toBe(0);
    const unknown = await berth.cli(["audit", "verify", "--head", "f".repeat(64)]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toContain("log: the head you kept is no row's hash");
    const bad = await berth.cli(["audit", "verify", "--head", "nothex"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("head must be the 64 hex digits an earlier verify printed");
    const [created] = await entries("--object", "app/auditme", "--actor", "admin");
    const db = new SqliteDatabase(join(berth.dataDir, "berth.db"));
    try {
      db.prepare("update audit_log set actor = 'somebody-else' where id = ?").run(created?.id);
    } finally {
      db.close();
    }
    const tampered = await berth.cli(["audit", "verify"]);
    expect(tampered.code).toBe(2);
    expect(tampered.stdout).toContain(`row ${created?.id}: edited: its content no longer matches its hash`);
    expect(tampered.stdout).toMatch(/audit log tampered with: 1 problem\(s\) in \d+ row\(s\)/);
  });
});
