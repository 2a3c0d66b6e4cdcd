import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { renderWithApp, stubApi } from "../../test/render";
import { VehiclePicker } from "./VehiclePicker";

const config = (id: number, submodel: string, liters: string) => ({
  id, base_vehicle_id: 9, year: 2018, make: "Jeep", model: "Compass", submodel, engine_liters: liters,
  engine_cylinders: 4, engine_code: null, fuel: "Gasoline", aspiration: null, drive: null, body: null, doors: null, transmission: null,
});
const ymm = "year=2018&make=Jeep&model=Compass";

function stubCascade(submodels: string[], engines: unknown[], configurations: unknown[]) {
  return stubApi({
    "GET /api/vehicles/years": [2019, 2018],
    "GET /api/vehicles/makes?year=2018": ["Honda", "Jeep"],
    "GET /api/vehicles/models?year=2018&make=Jeep": ["Compass", "Wrangler"],
    [`GET /api/vehicles/submodels?${ymm}`]: submodels,
    "GET /api/vehicles/engines": engines,
    [`GET /api/vehicles/configurations?${ymm}`]: configurations,
  });
}

async function chooseYearMakeModel() {
  await screen.findByRole("option", { name: "2018" });
  await userEvent.selectOptions(screen.getByLabelText("Year"), "2018");
  await waitFor(() => expect(screen.getByLabelText("Make")).toBeEnabled());
  await userEvent.selectOptions(screen.getByLabelText("Make"), "Jeep");
  await waitFor(() => expect(screen.getByLabelText("Model")).toBeEnabled());
  await userEvent.selectOptions(screen.getByLabelText("Model"), "Compass");
}

describe("the garage cascade", () => {
  it("asks year, make, model, then submodel and engine, each list from the API", async () => {
    const calls = stubCascade(
      ["Latitude", "Sport"],
      [{ engine_liters: "2.4", engine_cylinders: 4, fuel: "Gasoline", aspiration: null, vehicle_ids: [2] }],
      [config(1, "Latitude", "2.0"), config(2, "Sport", "2.4")],
    );
    const onPick = vi.fn();
    renderWithApp(<VehiclePicker onPick={onPick} />);
    expect(screen.getByLabelText("Make")).toBeDisabled();
    await chooseYearMakeModel();
    const use = screen.getByRole("button", { name: "Use this vehicle" });
    await userEvent.selectOptions(await screen.findByLabelText("Submodel (trim)"), "Sport");
    // One engine for the Sport: not asked, said.
    expect(await screen.findByText(/one engine \(2.4L 4-cyl Gasoline\)/)).toBeInTheDocument();
    expect(screen.queryByLabelText("Engine")).toBeNull();
    expect(calls).toContain(`GET /api/vehicles/engines?${ymm}&submodel=Sport`);
    await waitFor(() => expect(use).toBeEnabled());
    await userEvent.click(use);
    expect(onPick).toHaveBeenCalledWith(expect.objectContaining({ key: "2", id: 2, attrs: expect.objectContaining({ submodel: "Sport" }) }));
  });

  it("stops asking when nothing is left to choose", async () => {
    stubCascade([], [{ engine_liters: "2.0", engine_cylinders: 4, fuel: "Gasoline", aspiration: null, vehicle_ids: [1] }], [config(1, "", "2.0")]);
    const onPick = vi.fn();
    renderWithApp(<VehiclePicker onPick={onPick} />);
    await chooseYearMakeModel();
    const use = screen.getByRole("button", { name: "Use this vehicle" });
    await waitFor(() => expect(use).toBeEnabled());
    expect(screen.queryByLabelText("Submodel (trim)")).toBeNull();
    expect(screen.queryByLabelText("Engine")).toBeNull();
    await userEvent.click(use);
    expect(onPick).toHaveBeenCalledWith(expect.objectContaining({ id: 1 }));
  });

  it("lets the shopper leave trim and engine for later: a partial vehicle", async () => {
    stubCascade(
      ["Latitude", "Sport"],
      [
        { engine_liters: "2.0", engine_cylinders: 4, fuel: "Gasoline", aspiration: null, vehicle_ids: [1] },
        { engine_liters: "2.4", engine_cylinders: 4, fuel: "Gasoline", aspiration: null, vehicle_ids: [2] },
      ],
      [config(1, "Latitude", "2.0"), config(2, "Sport", "2.4")],
    );
    const onPick = vi.fn();
    renderWithApp(<VehiclePicker onPick={onPick} />);
    await chooseYearMakeModel();
    const notSure = "Not sure: ask me when it matters";
    await userEvent.selectOptions(await screen.findByLabelText("Submodel (trim)"), notSure);
    const engine = await screen.findByLabelText("Engine");
    await userEvent.selectOptions(engine, notSure);
    await userEvent.click(screen.getByRole("button", { name: "Use this vehicle" }));
    expect(onPick).toHaveBeenCalledWith(expect.objectContaining({ id: null, key: "2018~Jeep~Compass", attrs: {} }));
  });
});
