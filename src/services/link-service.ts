import { DomainError } from "../domain/domain-error.js";
import { linkAlias } from "../domain/environment.js";
import { appKey } from "../domain/labels.js";
import type { Link } from "../domain/link.js";
import type { Enqueuer } from "../reconciler/enqueuer.js";
import type { LinkView } from "../store/network-link-repository.js";
import type { Store } from "../store/store.js";
import { findAppInEnv } from "./lookup.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

interface End {
  tenant: string;
  env: string;
  app: string;
}

/**
 * Tenants and environments are isolated networks; a link is the one explicit way through: the
 * two apps share a network of their own, where `from` reaches `to` by its alias. The reconciler
 * attaches running containers, so a link takes effect without a redeploy.
 */
export class LinkService {
  constructor(
    private readonly store: Store,
    private readonly reconciler: Enqueuer,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async add(from: End, to: End, by: string): Promise<Link> {
    if (from.tenant === to.tenant && from.env === to.env)
      throw new DomainError(
        "invalid",
        `${from.app} and ${to.app} are both in ${from.env}: apps of one environment reach each other already`,
        "env",
      );
    const a = await findAppInEnv(this.store, from.tenant, from.env, from.app);
    const b = await findAppInEnv(this.store, to.tenant, to.env, to.app);
    const existing = (await this.store.links.of(a.app.id, a.env.id)).find(
      (l) => l.to_app_id === b.app.id && l.to_env_id === b.env.id,
    );
    if (existing)
      throw new DomainError(
        "conflict",
        `${show(from)} is already linked to ${show(to)} (link ${existing.id})`,
      );
    const op = {
      tenant: from.tenant,
      object: { kind: "link", name: from.app },
      env: from.env,
      change: { to: show(to) },
    } as const;
    const id = await this.writes.run(op, (tx) =>
      tx.links.create({ appId: a.app.id, envId: a.env.id }, { appId: b.app.id, envId: b.env.id }, by),
    );
    this.enqueue(from, to);
    return toLink((await this.store.links.find(id)) as LinkView);
  }

  async list(end: End): Promise<Link[]> {
    const w = await findAppInEnv(this.store, end.tenant, end.env, end.app);
    return (await this.store.links.of(w.app.id, w.env.id)).map(toLink);
  }

  /** Either end may cut a link. */
  async remove(end: End, id: number): Promise<void> {
    const w = await findAppInEnv(this.store, end.tenant, end.env, end.app);
    const link = (await this.store.links.of(w.app.id, w.env.id)).find((l) => l.id === id);
    if (!link)
      throw new DomainError("not_found", `${show(end)} has no link ${id}; see 'berth link list ${end.app}'`);
    const l = toLink(link);
    const op = {
      tenant: end.tenant,
      object: { kind: "link", name: end.app },
      env: end.env,
      change: { removed: id, to: show(l.to) },
    } as const;
    await this.writes.run(op, (tx) => tx.links.delete(id));
    this.enqueue(l.from, l.to);
  }

  private enqueue(...ends: End[]): void {
    for (const e of ends) this.reconciler.enqueue(appKey(e));
  }
}

const show = (e: End) => `${e.tenant}/${e.env}/${e.app}`;

const toLink = (l: LinkView): Link => ({
  id: l.id,
  from: { tenant: l.from_tenant, env: l.from_env, app: l.from_app },
  to: { tenant: l.to_tenant, env: l.to_env, app: l.to_app },
  alias: linkAlias(l.to_tenant, l.to_env, l.to_app),
  createdBy: l.created_by,
  createdAt: l.created_at,
});
