/**
 * Globals the CLI bundle gives the code in it instead of Node's (esbuild `inject`, see
 * scripts/bundle-cli.mjs). openapi-fetch builds its headers with `new Headers()` and asks
 * `body instanceof FormData`; either global makes Node load undici, its fetch implementation,
 * which the CLI does not use (it sends with node:http, see light-fetch.ts and node-http-fetch.ts).
 */
export { LightHeaders as Headers } from "./light-fetch.js";

/** The CLI sends no form data, so no body is one of these. */
export class FormData {}
