// The garage: saved vehicles (one current), and a new one by year/make/model or VIN.
import { useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useGarage } from "./GarageProvider";
import { vehicleLabel, type GarageVehicle } from "./vehicle";
import { VehiclePicker } from "./VehiclePicker";
import { VinForm } from "./VinForm";

export function GaragePage() {
  const garage = useGarage();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [tab, setTab] = useState<"ymm" | "vin">("ymm");
  const back = params.get("back");

  function pick(vehicle: GarageVehicle) {
    garage.store(vehicle);
    const target = back && back.startsWith("/") && !back.startsWith("//") ? back : "/";
    const [path, query = ""] = target.split("?");
    const next = new URLSearchParams(query);
    next.set("vehicle", vehicle.key);
    navigate(`${path}?${next.toString()}`);
  }

  return (
    <div className="mx-auto flex max-w-2xl flex-col gap-6">
      <h1 className="text-2xl font-bold">Your garage</h1>
      {garage.vehicles.length > 0 && (
        <section aria-labelledby="saved-heading" className="flex flex-col gap-2">
          <h2 id="saved-heading" className="text-lg font-semibold">
            Saved vehicles
          </h2>
          <ul className="flex flex-col gap-2">
            {garage.vehicles.map((v) => {
              const isCurrent = garage.current?.key === v.key;
              return (
                <li key={v.key} className="flex items-center gap-2 rounded-md border border-slate-300 bg-white p-2">
                  <span className="grow">
                    {vehicleLabel(v)}
                    {isCurrent && <span className="ml-2 rounded bg-blue-100 px-2 py-0.5 text-sm text-blue-900">current</span>}
                  </span>
                  {!isCurrent && (
                    <button type="button" onClick={() => pick(v)} className="min-h-11 rounded-md border border-blue-700 px-3 text-blue-800">
                      Shop for this one<span className="sr-only">: {vehicleLabel(v)}</span>
                    </button>
                  )}
                  <button
                    type="button"
                    onClick={() => garage.remove(v.key)}
                    className="min-h-11 rounded-md border border-slate-400 px-3 text-slate-700"
                  >
                    Remove<span className="sr-only"> {vehicleLabel(v)}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
      )}
      <section aria-labelledby="add-heading" className="flex flex-col gap-3">
        <h2 id="add-heading" className="text-lg font-semibold">
          Add a vehicle
        </h2>
        <div role="tablist" aria-label="How to find your vehicle" className="flex gap-2">
          {(
            [
              ["ymm", "Year, make, model"],
              ["vin", "VIN"],
            ] as const
          ).map(([key, label]) => (
            <button
              key={key}
              type="button"
              role="tab"
              id={`tab-${key}`}
              aria-selected={tab === key}
              aria-controls={`panel-${key}`}
              onClick={() => setTab(key)}
              className="min-h-11 rounded-md border border-slate-400 px-4 aria-selected:border-blue-700 aria-selected:bg-blue-700 aria-selected:text-white"
            >
              {label}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="rounded-md border border-slate-300 bg-white p-4">
          {tab === "ymm" ? <VehiclePicker onPick={pick} /> : <VinForm onPick={pick} />}
        </div>
      </section>
    </div>
  );
}
