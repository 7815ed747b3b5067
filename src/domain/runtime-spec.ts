import { z } from "zod";

export const Port = z.number().int().min(1).max(65535).meta({ description: "TCP port the app listens on" });

/** A path plus optional query for the HTTP health check; an allow-list, never free text. */
export const HealthPath = z
  .string()
  .max(256)
  .regex(
    /^\/[A-Za-z0-9._~%/-]*(\?[A-Za-z0-9._~%&=-]*)?$/,
    "health path must start with '/' and use only letters, digits and . _ ~ % / - (plus an optional ?query)",
  )
  .refine(
    (p) => !(p.split("?")[0] as string).split("/").some((s) => s === "." || s === "..") && !/%2e/i.test(p),
    {
      message: "health path cannot contain . or .. segments",
    },
  )
  .meta({ description: "HTTP path probed for health", example: "/healthz" });

export const Replicas = z.number().int().min(0).max(100).meta({ description: "How many containers to run" });

/** Seconds a new release may take to pass its health check before the deploy is called failed. */
export const HealthTimeout = z.number().int().min(1).max(3600);
