import { configure, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { renderConsole as renderWithProviders, stubFetch } from "../../test/console";
import { RegisterForm, SignInForm } from "./AccountForms";
import { shopSession } from "./session";

// The machine is shared: give the answers (served at once by the stub) time to render.
configure({ asyncUtilTimeout: 5000 });

const tokens = {
  access_token: "access-1",
  token_type: "bearer",
  expires_in: 900,
  refresh_token: "s.r",
  csrf_token: "c",
  user: { id: 7, email: "pat@example.com", role: "customer" },
};

afterEach(() => {
  shopSession.reset();
  vi.unstubAllGlobals();
});

describe("signing in to the storefront", () => {
  it("signs a customer in with what was typed", async () => {
    const calls = stubFetch((c) => (c.path === "/api/auth/login" ? { body: tokens } : undefined));
    const onSignedIn = vi.fn();
    renderWithProviders(<SignInForm onSignedIn={onSignedIn} />);
    await userEvent.type(screen.getByLabelText("Email"), " pat@example.com ");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse battery");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(onSignedIn).toHaveBeenCalledWith(tokens.user);
    expect(calls[0]).toMatchObject({ path: "/api/auth/login", body: { email: "pat@example.com", password: "correct horse battery" } });
    expect(shopSession.snapshot()).toEqual({ status: "signed-in", user: tokens.user });
  });

  it("says a wrong password out loud, keeps the email and puts focus back on the password", async () => {
    stubFetch(() => ({ status: 401, body: { detail: "nope" } }));
    const onSignedIn = vi.fn();
    renderWithProviders(<SignInForm onSignedIn={onSignedIn} />);
    await userEvent.type(screen.getByLabelText("Email"), "pat@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "not the password");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
    expect(screen.getByLabelText("Email")).toHaveValue("pat@example.com");
    expect(screen.getByLabelText("Password")).toHaveFocus();
    expect(onSignedIn).not.toHaveBeenCalled();
    expect(shopSession.snapshot().status).not.toBe("signed-in");
  });

  it("asks for a valid email before sending anything, next to the field, with focus on it", async () => {
    const calls = stubFetch(() => undefined);
    renderWithProviders(<SignInForm onSignedIn={vi.fn()} />);
    await userEvent.type(screen.getByLabelText("Email"), "pat.example.com");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const email = screen.getByLabelText("Email");
    expect(email).toHaveAttribute("aria-invalid", "true");
    expect(email).toHaveAccessibleDescription("Enter an email address like name@example.com.");
    expect(email).toHaveFocus();
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription("Enter your password.");
    expect(screen.getByRole("alert")).toHaveTextContent("Check the highlighted fields.");
    expect(calls).toHaveLength(0);
  });
});

describe("creating an account", () => {
  async function fill(name: string, email: string, password: string) {
    if (name) await userEvent.type(screen.getByLabelText("Name (optional)"), name);
    await userEvent.type(screen.getByLabelText("Email"), email);
    await userEvent.type(screen.getByLabelText("Password"), password);
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
  }

  it("registers, then signs the new customer in", async () => {
    const calls = stubFetch((c) => {
      if (c.path === "/api/auth/register") return { status: 201, body: { id: 7, email: "pat@example.com", role: "customer", name: "Pat", created_at: "2026-01-01T00:00:00Z" } };
      if (c.path === "/api/auth/login") return { body: tokens };
      return undefined;
    });
    const onSignedIn = vi.fn();
    renderWithProviders(<RegisterForm onSignedIn={onSignedIn} />);
    await fill("Pat", "pat@example.com", "four random words here");
    expect(calls.map((c) => c.path)).toEqual(["/api/auth/register", "/api/auth/login"]);
    expect(calls[0]?.body).toEqual({ email: "pat@example.com", password: "four random words here", name: "Pat" });
    expect(onSignedIn).toHaveBeenCalledWith(tokens.user);
    expect(shopSession.snapshot().status).toBe("signed-in");
  });

  it("refuses a short password before sending, saying how long it must be", async () => {
    const calls = stubFetch(() => undefined);
    renderWithProviders(<RegisterForm onSignedIn={vi.fn()} />);
    await fill("", "pat@example.com", "short");
    const password = screen.getByLabelText("Password");
    expect(password).toHaveAttribute("aria-invalid", "true");
    expect(password).toHaveAccessibleDescription(expect.stringContaining("The password has 5 characters; use at least 12"));
    expect(password).toHaveFocus();
    expect(calls).toHaveLength(0);
  });

  it("tells an existing customer to sign in instead, keeping what was typed", async () => {
    stubFetch(() => ({ status: 409, body: { detail: "An account for pat@example.com already exists." } }));
    const onSignedIn = vi.fn();
    renderWithProviders(<RegisterForm onSignedIn={onSignedIn} signInLink={<a href="/account/sign-in">Sign in instead</a>} />);
    await fill("", "pat@example.com", "four random words here");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("An account for pat@example.com already exists. Sign in instead");
    expect(screen.getByRole("link", { name: "Sign in instead" })).toBeVisible();
    expect(screen.getByLabelText("Email")).toHaveValue("pat@example.com");
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it("puts the server's validation errors on the fields they name", async () => {
    stubFetch(() => ({
      status: 422,
      body: { detail: "body.password: String should match pattern", errors: [{ loc: ["body", "password"], msg: "String should match pattern", type: "string_pattern_mismatch" }] },
    }));
    renderWithProviders(<RegisterForm onSignedIn={vi.fn()} />);
    await fill("", "pat@example.com", "twelve chars and more");
    const password = await screen.findByLabelText("Password");
    expect(password).toHaveAttribute("aria-invalid", "true");
    expect(password).toHaveFocus();
    expect(shopSession.snapshot().status).not.toBe("signed-in");
  });
});
