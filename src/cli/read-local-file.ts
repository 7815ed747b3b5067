import { readFileSync } from "node:fs";
import { CliError } from "./cli-error.js";

/** A file on the user's machine as text, or one sentence saying why not. */
export function readLocalFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
