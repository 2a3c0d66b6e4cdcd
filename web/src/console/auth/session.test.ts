import { afterEach, describe, expect, it, vi } from "vitest";
import { stubFetch } from "../../test/console";
import { adminApi, login, refresh, resetSession, snapshot } from "./session";

const tokens = (access: string) => ({
  access_token: access,
  token_type: "bearer",
  expires_in: 900,
  refresh_token: "s.r",
  csrf_token: "csrf-1",
  user: { id: 3, email: "ops@example.com", role: "operator" },
});

afterEach(() => {
  resetSession();
  vi.unstubAllGlobals();
  document.cookie = "am_csrf=; max-age=0";
});

describe("the console session", () => {
  it("restores itself from the refresh cookie, repeating am_csrf in X-CSRF-Token", async () => {
    document.cookie = "am_csrf=csrf-1";
    const calls = stubFetch((c) => (c.path === "/api/auth/refresh" ? { body: tokens("fresh") } : undefined));
    expect(await refresh()).toBe(true);
    expect(calls[0]?.headers.get("X-CSRF-Token")).toBe("csrf-1");
    expect(snapshot()).toMatchObject({ status: "signed-in", user: { email: "ops@example.com" } });
  });

  it("without the CSRF cookie does not try, and is signed out", async () => {
    const calls = stubFetch(() => undefined);
    expect(await refresh()).toBe(false);
    expect(calls).toHaveLength(0);
    expect(snapshot().status).toBe("signed-out");
  });

  it("refreshes an expired access token once for many calls, and retries them with the new one", async () => {
    document.cookie = "am_csrf=csrf-1";
    const calls = stubFetch((c) => {
      if (c.path === "/api/auth/login") return { body: tokens("old") };
      if (c.path === "/api/auth/refresh") return { body: tokens("new") };
      if (c.path === "/api/admin/queue/stats")
        return c.headers.get("Authorization") === "Bearer new" ? { body: { counts: {}, kinds: [] } } : { status: 401, body: { detail: "expired" } };
      return undefined;
    });
    await login("ops@example.com", "correct horse battery");
    const [a, b] = await Promise.all([adminApi.GET("/api/admin/queue/stats"), adminApi.GET("/api/admin/queue/stats")]);
    expect([a.response.status, b.response.status]).toEqual([200, 200]);
    expect(calls.filter((c) => c.path === "/api/auth/refresh")).toHaveLength(1);
  });

  it("signs out, saying why, when the session cannot be refreshed", async () => {
    document.cookie = "am_csrf=csrf-1";
    stubFetch((c) => {
      if (c.path === "/api/auth/login") return { body: tokens("old") };
      if (c.path === "/api/auth/refresh") return { status: 401, body: { detail: "revoked" } };
      if (c.path === "/api/admin/queue/stats") return { status: 401, body: { detail: "revoked" } };
      return undefined;
    });
    await login("ops@example.com", "correct horse battery");
    const { response } = await adminApi.GET("/api/admin/queue/stats");
    expect(response.status).toBe(401);
    expect(snapshot()).toEqual({ status: "signed-out", reason: "Your session ended. Sign in again." });
  });
});
