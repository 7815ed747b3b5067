import type { DeploymentEvent } from "../domain/deployment-event.js";
import type { ApiClient } from "./api-client.js";
import { CliError, ServerUnreachable } from "./cli-error.js";

const POLL_MS = 100;
const OFFLINE_GRACE_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type EventVerdict = "done" | { failed: string } | undefined;

/**
 * Follows an app's events from `cursor`, printing each, until `judge` calls one done (resolves)
 * or failed (throws). Rides out a server restart like waitForRollout.
 */
export async function waitForEvents(
  client: ApiClient,
  where: { tenant: string; env: string; app: string },
  cursor: number,
  print: (line: string) => void,
  judge: (e: DeploymentEvent) => EventVerdict,
): Promise<void> {
  let after = cursor;
  let offlineSince: number | undefined;
  for (;;) {
    try {
      for (const e of await client.events(where.tenant, where.env, where.app, after)) {
        after = e.id;
        print(`  ${e.message}`);
        const verdict = judge(e);
        if (verdict === "done") return;
        if (verdict) throw new CliError(verdict.failed);
      }
      offlineSince = undefined;
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      if (offlineSince === undefined) print("  lost contact with the server; waiting for it to come back");
      offlineSince ??= Date.now();
      if (Date.now() - offlineSince > OFFLINE_GRACE_MS) throw error;
    }
    await sleep(POLL_MS);
  }
}

/**
 * Follows a rollout's events until the release serves, fails or is superseded. Rides out a
 * server restart: the rollout is desired state and continues once the server is back.
 */
export async function waitForRollout(
  client: ApiClient,
  where: { tenant: string; env: string; app: string },
  release: number,
  cursor: number,
  print: (line: string) => void,
): Promise<void> {
  const { tenant, env, app } = where;
  let after = cursor;
  let offlineSince: number | undefined;
  let polls = 0;
  /** Prints new events; done once this release serves; throws once it failed. */
  const follow = async (): Promise<{ done: boolean; seen: number }> => {
    const events = await client.events(tenant, env, app, after);
    for (const e of events) {
      after = e.id;
      print(`  ${e.message}`);
      if (e.release === release && e.kind === "serving") return { done: true, seen: events.length };
      if (e.release === release && e.kind === "failed") throw new CliError(`deploy failed: ${e.message}`);
    }
    return { done: false, seen: events.length };
  };
  for (;;) {
    try {
      const { done, seen } = await follow();
      offlineSince = undefined;
      if (done) return;
      if (seen === 0 && ++polls % 20 === 0) {
        // Another deploy or a failed one moved the desired release on: after one last look at
        // the events, this release will never report on its own.
        const status = await client.deployment(tenant, env, app);
        if (status.release !== release) {
          if ((await follow()).done) return;
          throw new CliError(
            `release ${release} is no longer the one being deployed (now: ${status.release ?? "none"}); see 'berth events ${app} --env ${env}'`,
          );
        }
      }
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      if (offlineSince === undefined)
        print("  lost contact with the server; the rollout continues when it is back");
      offlineSince ??= Date.now();
      if (Date.now() - offlineSince > OFFLINE_GRACE_MS) throw error;
    }
    await sleep(POLL_MS);
  }
}
