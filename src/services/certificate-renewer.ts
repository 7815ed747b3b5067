import type { Store } from "../store/store.js";
import type { Certificates, RouterRefresher } from "./ports.js";

const HOUR_MS = 3_600_000;

/**
 * Replaces certificates from Berth's own issuer before they expire (at start, then hourly) and
 * publishes them. Uploaded certificates are the user's to renew; `route list` shows their expiry.
 */
export class CertificateRenewer {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly certificates: Certificates,
    private readonly router: RouterRefresher,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(intervalMs = HOUR_MS): void {
    void this.renewDue().catch(this.onError);
    this.timer = setInterval(() => void this.renewDue().catch(this.onError), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Returns the hosts it renewed. */
  async renewDue(): Promise<string[]> {
    const due = (await this.store.certificates.listAll()).filter(
      (c) => c.issuer === this.certificates.issuerName && this.certificates.isDue(c.not_after),
    );
    for (const c of due) {
      const fresh = await this.certificates.issue(c.host);
      await this.store.certificates.put({
        host: c.host,
        issuer: c.issuer,
        cert_pem: fresh.certPem,
        key_pem: fresh.keyPem,
        not_after: fresh.notAfter,
        fingerprint: fresh.fingerprint,
      });
    }
    if (due.length > 0) await this.router.publish();
    return due.map((c) => c.host);
  }
}
