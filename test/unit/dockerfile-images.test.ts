import { describe, expect, it } from "vitest";
import { dockerfileImages } from "../../src/domain/dockerfile-images.js";

describe("dockerfileImages: what a Dockerfile builds on", () => {
  it("lists FROM and COPY --from images, not stages, indexes or scratch", () => {
    const text = [
      "# syntax=docker/dockerfile:1",
      "FROM berth/debian:bookworm AS build",
      "RUN make",
      "FROM --platform=linux/amd64 berth/busybox:latest",
      "COPY --from=build /out /app",
      "COPY --from=0 /x /y",
      "COPY --from=team/tools:1 /bin/tool /bin/",
      "from scratch as final",
      "FROM build",
    ].join("\n");
    expect(dockerfileImages(text).sort()).toEqual([
      "berth/busybox:latest",
      "berth/debian:bookworm",
      "team/tools:1",
    ]);
  });

  it("follows global ARG defaults and continuation lines, and refuses a variable with no default", () => {
    expect(dockerfileImages('ARG BASE="berth/victim/web:build-1"\nFROM ${BASE}\n')).toEqual([
      "berth/victim/web:build-1",
    ]);
    expect(dockerfileImages("ARG TAG=1\nFROM \\\n  team/app:$TAG\n")).toEqual(["team/app:1"]);
    expect(dockerfileImages("FROM ${X:-team/fallback:2}\n")).toEqual(["team/fallback:2"]);
    expect(() => dockerfileImages("ARG BASE\nFROM $BASE\n")).toThrow(/uses \$\{BASE\}, which has no default/);
    expect(() => dockerfileImages("FROM a\nCOPY --from=$X /a /b\n")).toThrow(/uses a variable/);
  });

  it("reads instructions in any case, and the backtick escape directive", () => {
    expect(
      dockerfileImages("# escape=`\nfrom `\n  team/win:1\ncopy --from=other/img /a /b\n").sort(),
    ).toEqual(["other/img", "team/win:1"]);
  });
});
