/**
 * The one error type the core throws. The API maps `code` to an HTTP status in one place
 * (api/error-mapper.ts), so nothing below the API knows about HTTP.
 */
export type DomainErrorCode =
  | "invalid"
  | "not_found"
  | "conflict"
  | "unauthorized"
  | "forbidden"
  | "rate_limited"
  | "quota_exceeded"
  | "unavailable"
  | "failed";

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** The request field at fault, when there is one: users fix input faster when told which. */
    readonly field?: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}
