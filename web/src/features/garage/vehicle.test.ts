import { describe, expect, it } from "vitest";
import { fitRequest, narrow, parseKey, partialVehicle, vehicleLabel } from "./vehicle";

describe("garage vehicles", () => {
  it("round-trips a partial vehicle through its URL key and names it in words", () => {
    const v = partialVehicle(2015, "Honda", "Civic", { submodel: "EX", engine_liters: "1.8" });
    expect(parseKey(v.key)).toEqual(v);
    expect(vehicleLabel(v)).toBe("2015 Honda Civic EX 1.8L");
    expect(parseKey("42")).toEqual({ id: 42 });
    expect(parseKey("nonsense")).toBeNull();
  });

  it("asks the fit check with what is known, and narrows to one configuration", () => {
    const v = partialVehicle(2015, "Honda", "Civic");
    expect(fitRequest(v, 7)).toEqual({ part_id: 7, year: 2015, make: "Honda", model: "Civic" });
    const base = { base_vehicle_id: 1, year: 2015, make: "Honda", model: "Civic", engine_cylinders: 4, engine_code: null,
      fuel: null, aspiration: null, drive: null, body: null, doors: null, transmission: null };
    const configs = [
      { ...base, id: 1, submodel: "EX", engine_liters: "1.8" },
      { ...base, id: 2, submodel: "Si", engine_liters: "2.4" },
    ];
    const narrowed = narrow(v, { engine_liters: "2.4" }, configs);
    expect(narrowed.id).toBe(2);
    expect(fitRequest(narrowed, 7)).toEqual({ part_id: 7, vehicle_id: 2 });
  });
});
