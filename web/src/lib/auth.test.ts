import { afterEach, describe, expect, it, vi } from "vitest";
import { stubFetch } from "../test/console";
import { createSession } from "./auth";

const tokens = {
  access_token: "fresh",
  token_type: "bearer",
  expires_in: 900,
  refresh_token: "s.r",
  csrf_token: "csrf-1",
  user: { id: 7, email: "pat@example.com", role: "customer" },
};
const cart = "3f2b1c9e-1111-4222-8333-944455556666";

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = "am_csrf=; max-age=0";
});

describe("a browser session", () => {
  it("makes a call sent while the session is being restored wait for it, and carry the token", async () => {
    document.cookie = "am_csrf=csrf-1";
    const calls = stubFetch((c) => {
      if (c.path === "/api/auth/refresh") return { body: tokens };
      if (c.path === `/api/carts/${cart}`) return c.headers.get("Authorization") === "Bearer fresh" ? { body: { id: cart } } : { status: 404, body: { detail: "no such cart" } };
      return undefined;
    });
    const session = createSession();
    const { response } = await session.client.GET("/api/carts/{cart_id}", { params: { path: { cart_id: cart } } });
    expect(response.status).toBe(200);
    expect(calls.map((c) => c.path)).toEqual(["/api/auth/refresh", `/api/carts/${cart}`]);
    expect(session.snapshot()).toEqual({ status: "signed-in", user: tokens.user });
  });

  it("signed out, calls go as a guest's: no Authorization, and a 401 is not a reason to refresh", async () => {
    const calls = stubFetch((c) => (c.path === "/api/garage" ? { status: 401, body: { detail: "Sign in first" } } : undefined));
    const session = createSession();
    const { response } = await session.client.GET("/api/garage");
    expect(response.status).toBe(401);
    expect(calls.map((c) => c.path)).toEqual(["/api/garage"]);
    expect(calls[0]?.headers.get("Authorization")).toBeNull();
    expect(session.snapshot().status).toBe("signed-out");
  });

  it("turns away a role it does not admit, ending the session it was given", async () => {
    const calls = stubFetch((c) => (c.path === "/api/auth/login" ? { body: tokens } : c.path === "/api/auth/logout" ? { status: 204 } : undefined));
    const session = createSession({ admit: (role) => role === "admin", refusal: "Staff only." });
    await expect(session.login("pat@example.com", "correct horse battery")).rejects.toThrow("Staff only.");
    expect(calls.find((c) => c.path === "/api/auth/logout")?.headers.get("Authorization")).toBe("Bearer fresh");
    expect(session.snapshot().status).toBe("signed-out");
    expect(session.accessToken()).toBeNull();
  });
});
