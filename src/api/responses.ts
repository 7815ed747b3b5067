import type { z } from "zod";
import { ErrorBody } from "./error-body.js";

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorBody } },
});

export const errorResponses = {
  400: error("Invalid input; nothing was changed"),
  401: error("Missing or invalid token"),
  404: error("Not found"),
  409: error("Conflicts with current state"),
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
