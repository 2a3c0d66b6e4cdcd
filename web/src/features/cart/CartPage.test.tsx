import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { stubFetch } from "../../test/console";
import { renderWithApp } from "../../test/render";
import { CartPage } from "./CartPage";

const config = (id: number, submodel: string) => ({
  id, base_vehicle_id: 9, year: 2018, make: "Jeep", model: "Compass", submodel, engine_liters: "2.4",
  engine_cylinders: 4, engine_code: null, fuel: "Gasoline", aspiration: null, drive: null, body: null, doors: null, transmission: null,
});

const session = (fit: object, vehicle: object) => ({
  id: "c1", status: "not_ready_for_payment", currency: "usd", vehicle, email: null, shipping_address: null, fulfillment_option: "standard",
  line_items: [
    { id: "l1", kind: "part", part_id: 5, title: "Brake pads <front>", brand: "Acme", part_number: "BP-1", quantity: 1, unit_price: 4999, total: 4999,
      in_stock: true, ship_days: 2, estimated_delivery: null, fit, disclosure: "" },
    { id: "c-l1", kind: "core_deposit", part_id: 5, title: "Core deposit: Brake pads", brand: "Acme", part_number: "BP-1", quantity: 1, unit_price: 1000, total: 1000,
      in_stock: true, ship_days: null, estimated_delivery: null, fit: null, disclosure: "Refunded when the old part comes back." },
  ],
  fulfillment_options: [],
  totals: { subtotal: 4999, core_deposits: 1000, shipping: 0, tax: 0, total: 5999 },
  messages: [],
  order: null,
});

afterEach(() => vi.unstubAllGlobals());

describe("the cart", () => {
  it("asks the fit question inline and checks the cart again for the answer", async () => {
    localStorage.setItem("am_cart", "c1");
    const ask = { status: "need_more_information", note: "Fits the Sport only.", ask_next: "submodel", ask_options: ["Latitude", "Sport"] };
    const calls = stubFetch((c) => {
      if (c.method === "GET" && c.path === "/api/carts/c1") return { body: session(ask, { id: null, name: "2018 Jeep Compass", description: { year: 2018, make: "Jeep", model: "Compass" } }) };
      if (c.path === "/api/vehicles/configurations") return { body: [config(1, "Latitude"), config(2, "Sport")] };
      if (c.path === "/api/vehicles/2") return { body: config(2, "Sport") };
      if (c.method === "PATCH" && c.path === "/api/carts/c1") return { body: session({ status: "fits", note: "Fits your 2018 Jeep Compass Sport.", ask_next: null, ask_options: [] }, { id: 2, name: "2018 Jeep Compass Sport 2.4L", description: null }) };
      return undefined;
    });
    renderWithApp(<CartPage />, "/cart?vehicle=2018~Jeep~Compass");
    expect(await screen.findByRole("link", { name: "Brake pads <front>" })).toBeInTheDocument(); // text, as text
    expect(screen.getByText("Fits the Sport only.")).toBeInTheDocument();
    expect(screen.getByText("Core deposits (refunded when you return the old parts)")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Sport" }));
    expect(await screen.findByText("Fits your 2018 Jeep Compass Sport.")).toBeInTheDocument();
    const patch = calls.find((c) => c.method === "PATCH");
    expect(patch?.body).toEqual({ vehicle_id: 2 }); // the answer singled out one configuration
    expect(screen.queryByRole("button", { name: "Sport" })).toBeNull();
  });
});
