/** node:https for an https:// server, a module of its own so plain-HTTP commands never load TLS. */
export { request as httpsRequest } from "node:https";
