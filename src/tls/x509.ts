/**
 * The one door to @peculiar/x509: the metadata shim must run before the library loads, and ES
 * modules evaluate imports in order, so every TLS file imports x509 from here and never directly.
 */
import "./install-reflect-metadata.js";

export {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from "@peculiar/x509";
