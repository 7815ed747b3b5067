import { type IncomingMessage, request } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";

/**
 * One HTTP exchange with node:http. The CLI uses it instead of fetch because loading fetch's
 * implementation costs about 90 ms per command here, which users feel on every `berth` call.
 */
export function httpRequest(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string | Readable,
): Promise<IncomingMessage> {
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : request;
  return new Promise((resolve, reject) => {
    const req = send(target, { method, headers }, resolve);
    req.on("error", reject);
    if (body === undefined) req.end();
    else if (typeof body === "string") req.end(body);
    else {
      body.on("error", (error) => req.destroy(error));
      body.pipe(req);
    }
  });
}

export async function readText(res: IncomingMessage): Promise<string> {
  let text = "";
  res.setEncoding("utf8");
  for await (const chunk of res) text += chunk;
  return text;
}
