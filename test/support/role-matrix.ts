import type { Role } from "../../src/domain/roles.js";

/**
 * The role matrix of docs/security.md, cell by cell, written out by hand so that a change to
 * the policy has to change this table too. "allow" or "forbidden" per role; env.* rows are
 * judged in an unprotected environment (dev), one protected for maintainers (prod), and every
 * environment at once (*).
 */
export type Cell = "allow" | "forbidden";
const A: Cell = "allow";
const F: Cell = "forbidden";
export const ROLE_MATRIX: Record<string, Record<Role, Cell>> = {
  "tenant.read": { viewer: A, developer: A, maintainer: A, owner: A },
  "env.read dev": { viewer: A, developer: A, maintainer: A, owner: A },
  "env.read prod": { viewer: A, developer: A, maintainer: A, owner: A },
  "env.deploy dev": { viewer: F, developer: A, maintainer: A, owner: A },
  "env.deploy prod": { viewer: F, developer: F, maintainer: A, owner: A },
  "env.deploy *": { viewer: F, developer: F, maintainer: A, owner: A },
  "env.secrets dev": { viewer: F, developer: A, maintainer: A, owner: A },
  "env.secrets prod": { viewer: F, developer: F, maintainer: A, owner: A },
  "app.create": { viewer: F, developer: A, maintainer: A, owner: A },
  build: { viewer: F, developer: A, maintainer: A, owner: A },
  "app.delete": { viewer: F, developer: F, maintainer: A, owner: A },
  "tenant.manage": { viewer: F, developer: F, maintainer: F, owner: A },
  "platform.admin": { viewer: F, developer: F, maintainer: F, owner: F },
};
