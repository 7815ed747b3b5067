import { PassThrough, Readable } from "node:stream";
import type Docker from "dockerode";

/**
 * Turns Docker's multiplexed log payload (8-byte frame headers, stdout and stderr interleaved)
 * into plain text. A non-follow request yields a Buffer, a follow request a live stream; both
 * go through the same demuxer so the two cases cannot drift apart.
 */
export function demuxLogs(modem: Docker["modem"], source: Buffer | NodeJS.ReadableStream): Readable {
  const input = Buffer.isBuffer(source) ? Readable.from([source]) : (source as Readable);
  const output = new PassThrough();
  output.setEncoding("utf8");
  modem.demuxStream(input, output, output);
  input.once("end", () => output.end());
  // An aborted connection may close without "end"; the reader must still see the text end.
  input.once("close", () => {
    if (!output.writableEnded && !output.destroyed) output.end();
  });
  input.once("error", (error) => output.destroy(error));
  // A follower that goes away must release the HTTP connection to dockerd.
  output.once("close", () => input.destroy());
  return output;
}
