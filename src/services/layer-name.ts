/** A config layer as people say it; an absent (or "") app or env means the layer spans all. */
export function layerName(app: string | undefined, env: string | undefined): string {
  if (!app) return env ? `the tenant's ${env} defaults` : "the tenant's defaults";
  return env ? `${app} in ${env}` : `${app}'s defaults`;
}
