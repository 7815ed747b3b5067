import { describe, expect, it } from "vitest";
import {
  decide,
  PERMISSION_NAMES,
  type Permission,
  type Role,
  type Standing,
} from "../../src/domain/roles.js";
import { type Cell, ROLE_MATRIX } from "../support/role-matrix.js";

/** Every cell of the role matrix (test/support/role-matrix.ts, docs/security.md) as a pure function. */
const MATRIX = ROLE_MATRIX;
const ENVS = {
  dev: { name: "dev", minRole: null },
  prod: { name: "prod", minRole: "maintainer" as Role },
};
const reach = (where: string | undefined) =>
  where === undefined ? [] : where === "*" ? [ENVS.dev, ENVS.prod] : [ENVS[where as "dev" | "prod"]];
const member = (role: Role | null, onlyEnv: string | null = null): Standing => ({
  admin: false,
  role,
  onlyEnv,
});

describe("role matrix (domain/roles.ts decide)", () => {
  const cells = Object.entries(MATRIX).flatMap(([row, byRole]) =>
    (Object.entries(byRole) as [Role, Cell][]).map(([role, cell]) => ({ row, role, cell })),
  );

  it.each(cells)("$role: $row → $cell", ({ row, role, cell }) => {
    const [permission, where] = row.split(" ") as [Permission, string | undefined];
    expect(decide(member(role), permission, reach(where))).toBe(cell);
  });

  it("covers every permission", () => {
    const rows = new Set(Object.keys(MATRIX).map((r) => r.split(" ")[0]));
    expect([...rows].sort()).toEqual([...PERMISSION_NAMES].sort());
  });

  it("a platform admin may do everything; someone outside the tenant is told it does not exist", () => {
    for (const row of Object.keys(MATRIX)) {
      const [permission, where] = row.split(" ") as [Permission, string | undefined];
      expect(decide({ admin: true, role: "owner", onlyEnv: null }, permission, reach(where))).toBe("allow");
      expect(decide(member(null), permission, reach(where))).toBe("hidden");
    }
  });

  it("an owner can lock maintainers out of an environment protected for owners", () => {
    const vault = { name: "vault", minRole: "owner" as Role };
    expect(decide(member("maintainer"), "env.deploy", [vault])).toBe("forbidden");
    expect(decide(member("maintainer"), "env.secrets", [vault])).toBe("forbidden");
    expect(decide(member("maintainer"), "env.read", [vault])).toBe("allow");
    expect(decide(member("owner"), "env.deploy", [vault])).toBe("allow");
  });

  it("an environment-scoped token acts in its environment only, reads the tenant and builds", () => {
    const ci = member("maintainer", "dev");
    expect(decide(ci, "env.deploy", [ENVS.dev])).toBe("allow");
    expect(decide(ci, "env.deploy", [ENVS.prod])).toBe("forbidden");
    expect(decide(ci, "env.read", [ENVS.prod])).toBe("forbidden");
    expect(decide(ci, "env.deploy", [ENVS.dev, ENVS.prod])).toBe("forbidden");
    expect(decide(ci, "tenant.read")).toBe("allow");
    expect(decide(ci, "build")).toBe("allow");
    expect(decide(ci, "app.create")).toBe("forbidden");
    expect(decide(ci, "tenant.manage")).toBe("forbidden");
  });
});
