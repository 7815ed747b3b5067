import type { z } from "zod";
import { ErrorBody } from "./error-body.js";

export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorBody } },
});

/**
 * Each error status the API answers with. A route declares only the ones it can really return
 * (with `errors(...)`): client generators turn them into typed errors, so a status that cannot
 * happen is a lie in every client.
 */
export const errorResponses = {
  400: errorResponse("Invalid input; nothing was changed"),
  401: errorResponse("Missing, expired or revoked token"),
  403: errorResponse("The token is valid but lacks the right; nothing was changed"),
  404: errorResponse("Not found (another tenant's objects answer the same)"),
  409: errorResponse("Conflicts with current state"),
  413: errorResponse("The request body is too large"),
  422: errorResponse("The work was tried and failed"),
  429: errorResponse("Too many requests; wait and try again"),
  503: errorResponse(
    "The container engine or the cluster this needs cannot be reached or cannot take changes now; try again later",
  ),
} as const;
type ErrorStatus = keyof typeof errorResponses;

/** `responses: { 200: ..., ...errors(400, 401, 404) }` */
export const errors = <const S extends readonly ErrorStatus[]>(...statuses: S) =>
  Object.fromEntries(statuses.map((s) => [s, errorResponses[s]])) as Pick<typeof errorResponses, S[number]>;

/** The 403 of a change that adds use: an exceeded quota answers it too, as in Kubernetes, told apart by its code. */
export const forbiddenOrOverQuota = errorResponse(
  "The token is valid but lacks the right, or the tenant's isolation policy or quota (code quota_exceeded) does not allow this; nothing was changed",
);

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

/** zod-openapi types only JSON and text bodies; a streamed Response is declared in the route and passed through. */
export const streamed = (response: Response) => response as never;
