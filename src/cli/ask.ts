import { CliError } from "./cli-error.js";
import { readStdin } from "./read-stdin.js";

// Loaded when a command asks: most commands never do, and each command starts the program anew.
const read: typeof import("read").read = async (options) => (await import("read")).read(options);

const needTty = (what: string) =>
  new CliError(`no terminal to ask for ${what}; pipe it in with --password-stdin`);

/** A line typed at the terminal; prompts go to stderr so stdout stays clean for scripts. */
export async function ask(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) throw needTty(prompt.replace(/:\s*$/, "").toLowerCase());
  return (await read({ prompt, output: process.stderr })).trim();
}

/** A password typed without echo, or read from standard input (one trailing newline dropped). */
export async function askPassword(opts: {
  stdin?: boolean;
  confirm?: boolean;
  prompt?: string;
}): Promise<string> {
  if (opts.stdin) return (await readStdin()).replace(/\r?\n$/, "");
  if (!process.stdin.isTTY) throw needTty("a password");
  const prompt = opts.prompt ?? "Password: ";
  const password = await read({ prompt, silent: true, replace: "", output: process.stderr });
  if (opts.confirm) {
    const again = await read({ prompt: "Again: ", silent: true, replace: "", output: process.stderr });
    if (again !== password) throw new CliError("the two passwords differ; nothing was changed");
  }
  return password;
}
