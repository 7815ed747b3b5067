import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { COMMAND_GROUPS, commandsFor, createCli } from "../../src/cli/create-cli.js";
import type { LocalTools } from "../../src/cli/local-tools.js";

const local = {} as LocalTools;
const serve = async () => undefined;
const topLevel = (program: Command) => program.commands.map((c) => c.name());

/** `berth CMD` defines only CMD's group (create-cli.ts), so each group's names must be the truth. */
describe("CLI command groups", () => {
  it("name exactly the commands each group registers", () => {
    for (const group of COMMAND_GROUPS) {
      const program = new Command();
      group.register(program, local);
      expect(topLevel(program), group.register.name).toEqual([...group.names]);
    }
  });

  it("define every command, once, when all are wanted", () => {
    const names = topLevel(createCli(serve, "0", local));
    expect(names).toEqual(["server", ...COMMAND_GROUPS.flatMap((g) => g.names)]);
    expect(new Set(names).size).toBe(names.length);
  });

  it("pick the group of the command, nothing for --version, everything for help or a typo", () => {
    const [identity] = COMMAND_GROUPS.filter((g) => g.names.includes("whoami"));
    expect(commandsFor(["whoami"])).toEqual({ server: false, groups: [identity] });
    expect(commandsFor(["whoami", "--json"])).toEqual({ server: false, groups: [identity] });
    expect(topLevel(createCli(serve, "0", local, ["logs", "web", "-f"]))).toEqual([
      "ps",
      "releases",
      "events",
      "logs",
      "url",
    ]);
    expect(topLevel(createCli(serve, "0", local, ["server", "--data-dir", "/x"]))).toEqual(["server"]);
    for (const args of [["--version"], ["-V"]])
      expect(commandsFor(args)).toEqual({ server: false, groups: [] });
    for (const args of [
      [],
      ["--help"],
      ["-V", "--help"],
      ["--help", "whoami"],
      ["help", "deploy"],
      ["whoam"],
    ])
      expect(commandsFor(args), args.join(" ")).toEqual({ server: true, groups: COMMAND_GROUPS });
  });
});
