import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { components } from "../../api/schema";
import { renderConsole as render, stubFetch } from "../../test/console";
import { ReturnForm } from "./ReturnForm";

type Order = components["schemas"]["Order"];
const line = { part_id: 5, title: "Brake pads", brand: "Acme", part_number: "BP-1", quantity: 1, unit_price: 4999, core_charge: 0, total: 4999, ship_days: 2, fit_status: "fits", fit_note: "" };
const order = (lines: Order["lines"]): Order => ({
  number: "AM-12345678",
  status: "delivered",
  payment_status: "paid",
  placed_at: "2026-12-01T10:00:00Z",
  email: "pat@example.com",
  vehicle: { id: 9, name: "2015 Honda Civic EX 1.8L", description: null },
  shipping_address: null,
  fulfillment_option: "standard",
  currency: "USD",
  lines,
  totals: { subtotal: 4999, core_deposits: 0, shipping: 0, tax: 0, total: 4999 },
  history: [],
  payments: [],
});

afterEach(() => vi.unstubAllGlobals());

describe("a return request", () => {
  it("sends a wrong fit for the line chosen, with the shopper's words, and says a person decides", async () => {
    const calls = stubFetch((c) =>
      c.path === "/api/returns" ? { status: 201, body: { id: 4, order_line_id: 77, reason: "wrong_fit", status: "requested", vehicle_id: 9, workflow_id: null, created_at: "2026-12-03T10:00:00Z" } } : undefined,
    );
    render(<ReturnForm order={order([{ ...line, id: 77 }])} email="pat@example.com" />);
    expect(screen.getByLabelText("Why")).toHaveValue("wrong_fit");
    await userEvent.type(screen.getByLabelText("Details (optional)"), "rotor is 300 mm <b>not</b> 288");
    await userEvent.click(screen.getByRole("button", { name: "Request the return" }));
    expect(await screen.findByRole("status")).toHaveTextContent("a person decides");
    expect(calls[0]?.body).toEqual({ number: "AM-12345678", email: "pat@example.com", line_id: 77, reason: "wrong_fit", note: "rotor is 300 mm <b>not</b> 288" });
  });

  it("shows the server's reason when the return is refused, and keeps the form", async () => {
    stubFetch(() => ({ status: 422, body: { detail: "Order AM-12345678 has not shipped yet: cancel it instead." } }));
    render(<ReturnForm order={order([{ ...line, id: 77 }])} email="pat@example.com" />);
    await userEvent.click(screen.getByRole("button", { name: "Request the return" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("has not shipped yet: cancel it instead.");
    expect(screen.getByRole("button", { name: "Request the return" })).toBeEnabled();
  });
});
