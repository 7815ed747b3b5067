import { join } from "node:path";
import type { Certificates } from "../services/ports.js";
import { checkUploadedCertificate } from "../tls/check-uploaded-certificate.js";
import { InternalCa } from "../tls/internal-ca.js";
import { needsRenewal } from "../tls/renewal.js";

/** Berth's own CA (DATA_DIR/ca) and the certificate port the route service and renewer use. */
export async function tlsPart(dataDir: string): Promise<{ ca: InternalCa; certificates: Certificates }> {
  const ca = await InternalCa.open(join(dataDir, "ca"));
  const certificates: Certificates = {
    issuerName: ca.name,
    issue: (host) => ca.issue(host),
    checkUpload: (host, cert, key) => checkUploadedCertificate(host, cert, key, new Date()),
    caCertPem: () => ca.caCertPem(),
    isDue: (notAfter) => needsRenewal(notAfter, new Date()),
  };
  return { ca, certificates };
}
