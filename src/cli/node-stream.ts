/**
 * node:stream for the commands that stream (logs, builds, backups, the audit export), a module of
 * its own that they import when they run: loading node:stream costs every other command's start.
 */
export { Readable } from "node:stream";
export { pipeline } from "node:stream/promises";
