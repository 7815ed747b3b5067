import { z } from "zod";
import { EnvName, TenantName } from "./dns-label.js";
import { Role } from "./roles.js";

/** Local user names: lower-case letters, digits and . _ - (e.g. jane.doe), 1-64 characters. */
export const UserName = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/,
    "user names are 1-64 lower-case letters, digits, '.', '_' or '-', starting and ending with a letter or digit",
  )
  .meta({ description: "User name", example: "jane.doe" });

export const PASSWORD_MIN = 12;
export const Password = z
  .string()
  .min(PASSWORD_MIN, `passwords have at least ${PASSWORD_MIN} characters`)
  .max(1024, "passwords have at most 1024 characters")
  .regex(/^[^\0]*$/, "passwords cannot contain NUL")
  .meta({ description: `At least ${PASSWORD_MIN} characters; stored only as a scrypt hash` });

export const TokenName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "token names are 1-64 letters, digits, '.', '_' or '-'")
  .meta({ example: "ci-deploy" });

/** Ten years: long enough for "never" in practice, short enough to stay a valid date everywhere. */
const MAX_TTL_SECONDS = 10 * 365 * 86_400;
export const TokenTtl = z
  .number()
  .int()
  .min(60)
  .max(MAX_TTL_SECONDS)
  .nullable()
  .meta({ description: "Seconds until the token expires; null: never" });

export const CreateUserRequest = z
  .strictObject({
    name: UserName,
    password: Password.optional().meta({ description: "Omit for a user who can only use API tokens" }),
    admin: z.boolean().default(false).meta({ description: "A platform admin may do everything" }),
  })
  .meta({ id: "CreateUserRequest" });
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;

export const SetPasswordRequest = z.strictObject({ password: Password }).meta({ id: "SetPasswordRequest" });

export const User = z
  .object({
    name: UserName,
    admin: z.boolean(),
    hasPassword: z.boolean(),
    tenants: z.array(z.object({ tenant: TenantName, role: Role })),
    createdAt: z.string(),
  })
  .meta({ id: "User" });
export type User = z.infer<typeof User>;

export const LoginRequest = z
  .strictObject({
    user: UserName,
    password: z.string().min(1).max(1024),
    expiresInSeconds: TokenTtl.optional(),
  })
  .meta({ id: "LoginRequest" });
export type LoginRequest = z.infer<typeof LoginRequest>;

export const CreateTokenRequest = z
  .strictObject({
    tenant: TenantName.optional().meta({ description: "Omit for a token with all of your rights" }),
    env: EnvName.optional().meta({ description: "Only this environment of the tenant" }),
    role: Role.optional().meta({ description: "At most this role; default: yours" }),
    name: TokenName.optional(),
    expiresInSeconds: TokenTtl.optional().meta({ description: "Default 90 days; null: never" }),
  })
  .meta({ id: "CreateTokenRequest" });
export type CreateTokenRequest = z.infer<typeof CreateTokenRequest>;

export const TokenInfo = z
  .object({
    id: z.number().int(),
    name: z.string(),
    user: z.string(),
    kind: z.enum(["login", "api"]),
    tenant: z.string().nullable(),
    env: z.string().nullable(),
    // Its own meta makes the document spell this out in place: a bare Role.nullable() put the null
    // into the shared Role schema, so every role in every client became nullable.
    role: Role.nullable().meta({ description: "The role the token is limited to; null: the user's own" }),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: "TokenInfo" });
export type TokenInfo = z.infer<typeof TokenInfo>;

export const IssuedToken = z
  .object({
    token: z.string().meta({ description: "The secret; shown only this once, stored only as a hash" }),
    info: TokenInfo,
  })
  .meta({ id: "IssuedToken" });
export type IssuedToken = z.infer<typeof IssuedToken>;

export const WhoAmI = z
  .object({
    user: z.string(),
    admin: z.boolean(),
    token: TokenInfo,
    tenants: z.array(z.object({ tenant: TenantName, role: Role })),
  })
  .meta({ id: "WhoAmI" });
export type WhoAmI = z.infer<typeof WhoAmI>;

export const MemberRequest = z.strictObject({ user: UserName, role: Role }).meta({ id: "MemberRequest" });
export const Member = z.object({ user: UserName, role: Role, since: z.string() }).meta({ id: "Member" });
export type Member = z.infer<typeof Member>;

/** The caller of one request, once its token is accepted. */
export interface Principal {
  userId: number;
  user: string;
  /** The user is a platform admin and the token is not scoped to a tenant. */
  admin: boolean;
  /** The user is a platform admin (a scoped token of theirs acts as an owner of its tenant). */
  userAdmin: boolean;
  tokenId: number;
  tokenName: string;
  /** When the token stops working; null: never. */
  expiresAt: string | null;
  /** The token's scope: a tenant, optionally one environment of it, at most a role. */
  scope: {
    tenantId: number;
    tenant: string;
    envId: number | null;
    env: string | null;
    role: Role | null;
  } | null;
}
