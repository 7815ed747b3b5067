/**
 * A database URL fit for logs and output: the password (in the user part or a `password`
 * parameter) is left out, and the text says so.
 */
export function maskDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "(a database URL that does not parse; not shown)";
  }
  const hidden = parsed.password !== "" || parsed.searchParams.has("password");
  parsed.password = "";
  parsed.searchParams.delete("password");
  return hidden ? `${parsed.toString()} (password hidden)` : parsed.toString();
}

/** The URLs `--database` and `migrate-store --to` accept. */
export const isPostgresUrl = (value: string): boolean => /^postgres(ql)?:\/\//.test(value);
