import { z } from "zod";

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
// Docker's domain grammar: dot-separated labels of letters, digits and inner hyphens.
const DOMAIN_LABEL = "[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?";
const DOMAIN = `${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*(?::[0-9]{1,5})?`;
const REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
const IMAGE_ID = /^sha256:[a-f0-9]{64}$/;

/** A Docker image reference (name[:tag][@digest]) or an image ID; the grammar is Docker's own. */
export const ImageRef = z
  .string()
  .max(512)
  .refine((s) => REFERENCE.test(s) || IMAGE_ID.test(s), {
    message: "image must be a Docker image reference such as 'registry:5000/team/web:1.2' or an image ID",
  })
  .meta({ description: "Docker image reference or ID", example: "berth/busybox:latest" });
