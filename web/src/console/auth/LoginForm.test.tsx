import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { renderConsole, stubFetch } from "../../test/console";
import { LoginForm } from "./LoginForm";
import { resetSession, snapshot } from "./session";

const tokens = (role: string) => ({
  access_token: "access-1",
  token_type: "bearer",
  expires_in: 900,
  refresh_token: "s.r",
  csrf_token: "c",
  user: { id: 3, email: "ops@example.com", role },
});

async function signIn(email: string, password: string) {
  await userEvent.type(screen.getByLabelText("Email"), email);
  await userEvent.type(screen.getByLabelText("Password"), password);
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

afterEach(() => {
  resetSession();
  vi.unstubAllGlobals();
});

describe("the console's sign-in form", () => {
  it("signs an operator in with the email and password typed", async () => {
    const calls = stubFetch((c) => (c.path === "/api/auth/login" ? { body: tokens("operator") } : undefined));
    const onSignedIn = vi.fn();
    renderConsole(<LoginForm onSignedIn={onSignedIn} />);
    await signIn(" ops@example.com ", "correct horse battery");
    expect(onSignedIn).toHaveBeenCalledWith({ id: 3, email: "ops@example.com", role: "operator" });
    expect(calls[0]).toMatchObject({ method: "POST", path: "/api/auth/login", body: { email: "ops@example.com", password: "correct horse battery" } });
    expect(snapshot()).toEqual({ status: "signed-in", user: { id: 3, email: "ops@example.com", role: "operator" } });
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("says the email or password is wrong, and stays signed out", async () => {
    stubFetch((c) => (c.path === "/api/auth/login" ? { status: 401, body: { detail: "Wrong email or password." } } : undefined));
    const onSignedIn = vi.fn();
    renderConsole(<LoginForm onSignedIn={onSignedIn} />);
    await signIn("ops@example.com", "not the password");
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
    expect(onSignedIn).not.toHaveBeenCalled();
    expect(snapshot().status).not.toBe("signed-in");
    expect(screen.getByLabelText("Email")).toHaveValue("ops@example.com"); // nothing typed is lost
  });

  it("says when to try again after too many failures", async () => {
    stubFetch(() => ({ status: 429, body: { detail: "Too many" }, headers: { "Retry-After": "540" } }));
    renderConsole(<LoginForm />);
    await signIn("ops@example.com", "guessing again");
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many failed sign-ins. Try again in 9 minutes.");
  });

  it("turns a customer account away and ends the session it was given", async () => {
    const calls = stubFetch((c) => {
      if (c.path === "/api/auth/login") return { body: tokens("customer") };
      if (c.path === "/api/auth/logout") return { status: 204 };
      return undefined;
    });
    const onSignedIn = vi.fn();
    renderConsole(<LoginForm onSignedIn={onSignedIn} />);
    await signIn("shopper@example.com", "my own password");
    expect(await screen.findByRole("alert")).toHaveTextContent("This is a customer account; the console is for store staff.");
    expect(onSignedIn).not.toHaveBeenCalled();
    const logout = calls.find((c) => c.path === "/api/auth/logout");
    expect(logout?.headers.get("Authorization")).toBe("Bearer access-1");
    expect(snapshot().status).toBe("signed-out");
  });

  it("asks for both fields before calling the server", async () => {
    const calls = stubFetch(() => undefined);
    renderConsole(<LoginForm />);
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Enter your email and password.");
    expect(calls).toHaveLength(0);
  });
});
