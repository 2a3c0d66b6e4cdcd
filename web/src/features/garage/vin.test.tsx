import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { renderWithApp, stubApi } from "../../test/render";
import { checkVin } from "./vin";
import { VinForm } from "./VinForm";

const VIN = "4T4BD1FK2CU329662";

describe("VIN validation", () => {
  it("waits for 17 characters, refuses I, O, Q and punctuation, and too many", () => {
    expect(checkVin("4T4BD1")).toEqual({ ok: false, vin: "4T4BD1", problem: null });
    expect(checkVin("4t4bd1fk2cu329662")).toEqual({ ok: true, vin: VIN });
    expect(checkVin("4T4BD1FK2CUO29662").ok).toBe(false);
    expect((checkVin("4T4BD1FK2CUO29662") as { problem: string }).problem).toMatch(/never contain O/);
    expect((checkVin("4T4-BD") as { problem: string }).problem).toMatch(/letters and digits/);
    expect((checkVin(VIN + "9") as { problem: string }).problem).toMatch(/17 characters/);
  });

  it("checks as typed and decodes through the API", async () => {
    stubApi({
      [`GET /api/vin/${VIN}`]: {
        vin: VIN,
        check_digit_valid: true,
        problems: [],
        decoded: { year: 2012, make: "Toyota", model: "Camry" },
        matches: [
          { id: 3, base_vehicle_id: 1, year: 2012, make: "Toyota", model: "Camry", submodel: "Hybrid", engine_liters: "2.5",
            engine_cylinders: 4, engine_code: null, fuel: "Hybrid", aspiration: null, drive: null, body: "Sedan", doors: 4, transmission: null },
        ],
        message: "a 2012 Toyota Camry Hybrid 2.5L",
      },
    });
    const onPick = vi.fn();
    renderWithApp(<VinForm onPick={onPick} />);
    const input = screen.getByLabelText("VIN (17 characters)");
    const decode = screen.getByRole("button", { name: "Decode" });
    await userEvent.type(input, "4T4BD1FK2CUQ");
    expect(screen.getByText(/never contain Q/)).toBeInTheDocument();
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(decode).toBeDisabled();
    await userEvent.clear(input);
    await userEvent.type(input, VIN.toLowerCase());
    expect(input).toHaveValue(VIN);
    expect(decode).toBeEnabled();
    await userEvent.click(decode);
    await userEvent.click(await screen.findByRole("button", { name: "Use 2012 Toyota Camry Hybrid 2.5L" }));
    expect(onPick).toHaveBeenCalledWith(expect.objectContaining({ key: "3", id: 3, year: 2012 }));
  });
});
