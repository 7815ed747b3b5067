import { describe, expect, it } from "vitest";
import { LoginThrottle } from "../../src/services/login-throttle.js";

describe("LoginThrottle", () => {
  const never = () => new Promise<never>(() => {});

  it("counts checks still running as failures, so parallel guesses cannot pass the limit", async () => {
    const throttle = new LoginThrottle(() => 0);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () =>
        throttle.attempt(["user:bob", "source:10.0.0.1"], async () => {
          await new Promise((r) => setTimeout(r, 20));
          return { ok: false, value: null };
        }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(10);
    const refused = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    expect(refused).toHaveLength(20);
    expect(String(refused[0]?.reason)).toMatch(/too many failed sign-ins; try again in 15 minutes/);
    await expect(
      throttle.attempt(["user:bob", "source:10.9.9.9"], async () => ({ ok: true, value: 1 })),
    ).rejects.toThrow(/too many failed sign-ins/);
  });

  it("forgives after the window, and a success clears the user's failures but not the address's", async () => {
    let t = 0;
    const throttle = new LoginThrottle(() => t);
    for (let i = 0; i < 9; i++)
      await throttle.attempt(["user:a", "source:s"], async () => ({ ok: false, value: 0 }));
    expect(await throttle.attempt(["user:a", "source:s"], async () => ({ ok: true, value: 7 }))).toBe(7);
    await expect(
      throttle.attempt(["user:b", "source:s"], async () => ({ ok: false, value: 0 })),
    ).resolves.toBeNull();
    await expect(
      throttle.attempt(["user:c", "source:s"], async () => ({ ok: true, value: 0 })),
    ).rejects.toThrow();
    t += 15 * 60_000 + 1;
    expect(await throttle.attempt(["user:c", "source:s"], async () => ({ ok: true, value: 3 }))).toBe(3);
  });

  it("runs at most four password checks at once and refuses a flood beyond its queue", async () => {
    const throttle = new LoginThrottle(() => 0);
    let running = 0;
    let most = 0;
    const check = async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return { ok: true, value: 0 };
    };
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => throttle.attempt([`user:u${i}`, `source:s${i}`], check)),
    );
    expect(most).toBe(4);
    const stuck = new LoginThrottle(() => 0);
    const held = Array.from({ length: 68 }, (_, i) =>
      stuck.attempt([`user:x${i}`, `source:y${i}`], () => never()).catch(() => "refused"),
    );
    await expect(
      stuck.attempt(["user:late", "source:late"], async () => ({ ok: true, value: 0 })),
    ).rejects.toThrow(/too many sign-ins at once/);
    void held;
  });
});
