import type { z } from "zod";
import { ErrorBody } from "./error-body.js";

export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorBody } },
});

export const errorResponses = {
  400: errorResponse("Invalid input; nothing was changed"),
  401: errorResponse("Missing, expired or revoked token"),
  403: errorResponse("The token is valid but lacks the right; nothing was changed"),
  404: errorResponse("Not found"),
  409: errorResponse("Conflicts with current state"),
} as const;

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
