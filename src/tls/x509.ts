/**
 * The one door to @peculiar/x509: the reflect-metadata polyfill (tsyringe needs it) must run before the library loads, and ES
 * modules evaluate imports in order, so every TLS file imports x509 from here and never directly.
 */
import "reflect-metadata";

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
