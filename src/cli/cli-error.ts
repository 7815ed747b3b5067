/** A failure the CLI reports as one sentence and a non-zero exit, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    /** The request field the server blamed, when it named one. */
    readonly field?: string,
    /** Every validation problem, when the server listed them. */
    readonly issues?: { path: (string | number)[]; message: string }[],
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** The server did not answer at all (as opposed to answering with an error). */
export class ServerUnreachable extends CliError {}
