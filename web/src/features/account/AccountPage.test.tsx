import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { configure, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { stubFetch, type Answer, type Call } from "../../test/console";
import { GarageProvider, useGarage } from "../garage/GarageProvider";
import { AccountPage } from "./AccountPage";
import { GarageSync } from "./GarageSync";
import { shopSession } from "./session";
import { SignInPage } from "./SignInPage";

// The machine is shared: give the answers (served at once by the stub) time to render.
configure({ asyncUtilTimeout: 5000 });

const user = { id: 7, email: "pat@example.com", role: "customer" as const };
const tokens = { access_token: "access-1", token_type: "bearer", expires_in: 900, refresh_token: "s.r", csrf_token: "c", user };
const civic = { id: 41, year: 2016, make: "Honda", model: "Civic", submodel: "EX", engine_liters: 2, drive: "FWD" };
const accord = { id: 52, year: 2018, make: "Honda", model: "Accord", submodel: "LX", engine_liters: 1.5, drive: "FWD" };
const saved = (v: typeof civic, current: boolean) => ({
  vehicle_id: v.id,
  name: `${v.year} ${v.make} ${v.model} ${v.submodel}`,
  year: v.year,
  make: v.make,
  model: v.model,
  submodel: v.submodel,
  nickname: null,
  is_current: current,
});
const order = { number: "AM-7K2Q9XZP", status: "placed", payment_status: "paid", placed_at: "2026-11-02T10:00:00Z", currency: "USD", total: 2598, line_count: 2 };

function Where() {
  const location = useLocation();
  return <p data-testid="where">{location.pathname + location.search}</p>;
}

function GarageKeys() {
  const garage = useGarage();
  return <p data-testid="garage">{garage.vehicles.map((v) => v.key).join(",") + ` current=${garage.current?.key ?? "none"}`}</p>;
}

/** Stands in for the garage page: save the Accord (it becomes current), remove the Civic. */
function GarageButtons() {
  const garage = useGarage();
  return (
    <>
      <button type="button" onClick={() => garage.save({ key: "52", id: 52, year: 2018, make: "Honda", model: "Accord", attrs: { submodel: "LX" } })}>
        Save the Accord
      </button>
      <button type="button" onClick={() => garage.remove("41")}>
        Remove the Civic
      </button>
    </>
  );
}

function renderStore(path: string) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <GarageProvider>
          <GarageSync />
          <Routes>
            <Route path="/account" element={<AccountPage />} />
            <Route path="/account/sign-in" element={<SignInPage />} />
            <Route path="*" element={<p>Home</p>} />
          </Routes>
          <GarageKeys />
          <GarageButtons />
          <Where />
        </GarageProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

/** A small account server: login, garage (POST/PUT/DELETE keep state), orders, vehicles. */
function accountServer(garage: ReturnType<typeof saved>[], orders: (typeof order)[]) {
  const handler = (c: Call): Answer | undefined => {
    const bearer = c.headers.get("Authorization") === "Bearer access-1";
    if (c.path === "/api/auth/login") return { body: tokens };
    if (c.path === "/api/auth/logout") return { status: 204 };
    const vehicle = /^\/api\/vehicles\/(\d+)$/.exec(c.path);
    if (vehicle) return { body: [civic, accord].find((v) => v.id === Number(vehicle[1])) };
    if (!bearer && (c.path.startsWith("/api/garage") || c.path.startsWith("/api/orders"))) return { status: 401, body: { detail: "Sign in first" } };
    if (c.path === "/api/orders") return { body: orders };
    if (c.path === "/api/garage" && c.method === "GET") return { body: garage };
    if (c.path === "/api/garage" && c.method === "POST") {
      const body = c.body as { vehicle_id: number; make_current: boolean };
      const v = [civic, accord].find((x) => x.id === body.vehicle_id)!;
      if (body.make_current || !garage.some((g) => g.is_current)) for (const g of garage) g.is_current = false;
      garage.unshift(saved(v, body.make_current || !garage.some((g) => g.is_current)));
      return { status: 201, body: garage };
    }
    const one = /^\/api\/garage\/(\d+)$/.exec(c.path);
    if (one && c.method === "DELETE") {
      const at = garage.findIndex((g) => g.vehicle_id === Number(one[1]));
      if (at < 0) return { status: 404, body: { detail: "not in your garage" } };
      garage.splice(at, 1);
      return { body: garage };
    }
    const current = /^\/api\/garage\/(\d+)\/current$/.exec(c.path);
    if (current) {
      if (!garage.some((g) => g.vehicle_id === Number(current[1]))) return { status: 404, body: { detail: "not in your garage" } };
      for (const g of garage) g.is_current = g.vehicle_id === Number(current[1]);
      return { body: garage };
    }
    return undefined;
  };
  return stubFetch(handler);
}

afterEach(() => {
  shopSession.reset();
  vi.unstubAllGlobals();
});

describe("the account page", () => {
  it("lists my orders, each linking to its order page, and my garage", async () => {
    accountServer([saved(civic, true)], [order]);
    await shopSession.login("pat@example.com", "correct horse battery");
    renderStore("/account");
    expect(await screen.findByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
    expect(screen.getByTestId("account-email")).toHaveTextContent("pat@example.com");
    const orders = await screen.findByRole("list", { name: "Orders" });
    const link = within(orders).getByRole("link", { name: "Order AM-7K2Q9XZP" });
    expect(link).toHaveAttribute("href", "/orders/AM-7K2Q9XZP");
    expect(within(orders).getByRole("listitem")).toHaveTextContent("2 parts · $25.98");
    const garage = await screen.findByRole("list", { name: "Saved vehicles" });
    // The account's current vehicle becomes the current one here too (the URL follows).
    await waitFor(() => expect(garage).toHaveTextContent("2016 Honda Civic EX 2.0L FWDcurrent"));
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/account?vehicle=41"));
  });

  it("says when there are no orders yet", async () => {
    accountServer([], []);
    await shopSession.login("pat@example.com", "correct horse battery");
    renderStore("/account");
    expect(await screen.findByText(/No orders yet/)).toBeVisible();
    expect(screen.getByText("No vehicles saved yet.")).toBeVisible();
  });

  it("sends a guest to sign in, keeping the vehicle in the address", async () => {
    stubFetch(() => undefined);
    renderStore("/account?vehicle=41");
    expect(await screen.findByRole("heading", { level: 2, name: "Sign in" })).toBeVisible();
    expect(screen.getByTestId("where")).toHaveTextContent("/account/sign-in?vehicle=41");
  });

  it("signs out: the session ends on the server and this browser forgets the account's vehicles", async () => {
    const calls = accountServer([saved(civic, true)], []);
    await shopSession.login("pat@example.com", "correct horse battery");
    renderStore("/account");
    await waitFor(() => expect(screen.getByTestId("garage")).toHaveTextContent("41 current=41"));
    await userEvent.click(screen.getByRole("button", { name: "Sign out" }));
    await waitFor(() => expect(screen.getByTestId("garage")).toHaveTextContent(/^current=none$/));
    expect(calls.some((c) => c.path === "/api/auth/logout" && c.headers.get("Authorization") === "Bearer access-1")).toBe(true);
    expect(shopSession.snapshot().status).toBe("signed-out");
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent(/^\/$/));
  });
});

describe("the garage at sign-in", () => {
  it("saves the guest's vehicles to the account, keeps the current one, then follows the account", async () => {
    const account = [saved(accord, true)];
    const calls = accountServer(account, []);
    localStorage.setItem(
      "automechanica.garage.v1",
      JSON.stringify({
        vehicles: [
          { key: "41", id: 41, year: 2016, make: "Honda", model: "Civic", attrs: { submodel: "EX", engine_liters: "2", drive: "FWD" } },
          { key: "2019~Ford~F-150", id: null, year: 2019, make: "Ford", model: "F-150", attrs: {} },
        ],
        last: "41",
      }),
    );
    renderStore("/account/sign-in?vehicle=41");
    await userEvent.type(screen.getByLabelText("Email"), "pat@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse battery");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));

    // The Civic joins the account as its current vehicle; the Accord already there stays;
    // the Ford, known only by year/make/model, stays in this browser.
    await waitFor(() => expect(screen.getByTestId("garage")).toHaveTextContent("41,52,2019~Ford~F-150 current=41"));
    const post = calls.find((c) => c.method === "POST" && c.path === "/api/garage");
    expect(post?.body).toEqual({ vehicle_id: 41, make_current: true });
    expect(post?.headers.get("Authorization")).toBe("Bearer access-1");
    expect(account.find((g) => g.is_current)?.vehicle_id).toBe(41);
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/account?vehicle=41"));
    expect(await screen.findByRole("list", { name: "Saved vehicles" })).toHaveTextContent("2018 Honda Accord LX 1.5L FWD");
  });

  it("while signed in, a vehicle saved, chosen or removed is saved to the account, in order", async () => {
    const account = [saved(civic, true)];
    const calls = accountServer(account, []);
    await shopSession.login("pat@example.com", "correct horse battery");
    renderStore("/?vehicle=41");
    await waitFor(() => expect(screen.getByTestId("garage")).toHaveTextContent("41 current=41"));

    await userEvent.click(screen.getByRole("button", { name: "Save the Accord" }));
    await waitFor(() => expect(account.find((g) => g.is_current)?.vehicle_id).toBe(52));
    await userEvent.click(screen.getByRole("button", { name: "Remove the Civic" }));
    await waitFor(() => expect(account.map((g) => g.vehicle_id)).toEqual([52]));
    const writes = calls.filter((c) => c.method !== "GET" && c.path.startsWith("/api/garage")).map((c) => `${c.method} ${c.path}`);
    expect(writes[0]).toBe("POST /api/garage");
    expect(writes.at(-1)).toBe("DELETE /api/garage/41");
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
