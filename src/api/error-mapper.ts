import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { DomainError, type DomainErrorCode } from "../domain/domain-error.js";
import type { ErrorBody } from "./error-body.js";

const STATUS: Record<DomainErrorCode, ContentfulStatusCode> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  // As Kubernetes answers an exceeded ResourceQuota; the code tells it apart from a missing right.
  quota_exceeded: 403,
  not_found: 404,
  conflict: 409,
  failed: 422,
  unavailable: 503,
};

/** The only place that turns core errors into HTTP. */
export function errorResponse(c: Context, error: unknown, log: (err: unknown) => void): Response {
  if (error instanceof DomainError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message, field: error.field } };
    return c.json(body, STATUS[error.code]);
  }
  // Hono's own 4xx (e.g. malformed JSON found by a validator) are the client's fault, not ours.
  if (error instanceof HTTPException && error.status < 500) {
    const body: ErrorBody = { error: { code: "invalid", message: error.message || "invalid request" } };
    return c.json(body, error.status);
  }
  log(error);
  const body: ErrorBody = {
    error: { code: "internal", message: "internal error; see the Berth server log" },
  };
  return c.json(body, 500);
}

/** Turns a failed schema check into a 400 that names the first offending field. */
/** A record key that fails its schema says only "Invalid key in record"; the key's own rule says why. */
function explain(issue: ZodError["issues"][number]): string {
  const inner = (issue as { issues?: { message: string }[] }).issues?.[0];
  return issue.code === "invalid_key" && inner ? inner.message : issue.message;
}

export function validationResponse(c: Context, error: ZodError, target: string): Response {
  const issue = error.issues[0];
  const field = issue?.path.length ? issue.path.join(".") : target;
  const message = issue ? `${field}: ${explain(issue)}` : `invalid ${target}`;
  const issues = error.issues.slice(0, 50).map((i) => ({
    path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
    message: explain(i),
  }));
  const body: ErrorBody = { error: { code: "invalid", message, field, issues } };
  return c.json(body, 400);
}
