const DAY_MS = 86_400_000;

/** True once the certificate is within `renewBeforeDays` of expiring (or already expired). */
export function needsRenewal(notAfterIso: string, now: Date, renewBeforeDays = 30): boolean {
  const notAfter = Date.parse(notAfterIso);
  // An unreadable date cannot prove the certificate is still good; renewing is the safe side.
  if (Number.isNaN(notAfter)) return true;
  return notAfter - now.getTime() <= renewBeforeDays * DAY_MS;
}
