import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/domain-error.js";
import { ignoreStatus, unreachable } from "../../src/engines/docker/status-code.js";

describe("dockerd errors", () => {
  it("turns a socket that cannot be reached into an 'unavailable' DomainError", () => {
    for (const code of ["ECONNREFUSED", "ENOENT", "EACCES"]) {
      const mapped = unreachable(Object.assign(new Error("connect failed"), { code }));
      expect(mapped).toBeInstanceOf(DomainError);
      expect((mapped as DomainError).code).toBe("unavailable");
      expect((mapped as DomainError).message).toMatch(new RegExp(`^cannot reach dockerd \\(${code}\\)`));
    }
  });

  it("leaves other errors alone", () => {
    const apiError = Object.assign(new Error("(HTTP code 500) server error"), { statusCode: 500 });
    expect(unreachable(apiError)).toBe(apiError);
    expect(unreachable("text")).toBe("text");
  });

  it("ignores only the statuses it is told to", async () => {
    const notFound = Object.assign(new Error("no such image"), { statusCode: 404 });
    await expect(ignoreStatus(Promise.reject(notFound), 404)).resolves.toBeUndefined();
    await expect(ignoreStatus(Promise.reject(notFound), 409)).rejects.toBe(notFound);
    await expect(
      ignoreStatus(Promise.reject(Object.assign(new Error("x"), { code: "ECONNREFUSED" })), 404),
    ).rejects.toBeInstanceOf(DomainError);
  });
});
