// On every page: the current vehicle in words, one click to change it.
import { Link, useLocation } from "react-router";
import { useGarage } from "./GarageProvider";
import { vehicleLabel } from "./vehicle";

export function VehicleBar() {
  const { current, resolving, vehicles, select } = useGarage();
  const location = useLocation();
  const back = encodeURIComponent(location.pathname + location.search);
  const others = vehicles.filter((v) => v.key !== current?.key);
  return (
    <section aria-label="Your vehicle" className="border-b border-slate-300 bg-slate-100">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-3 gap-y-1 px-4 py-2">
        <span className="text-sm text-slate-700">Shopping for</span>
        <strong data-testid="current-vehicle" className="text-base">
          {current ? vehicleLabel(current) : resolving ? "…" : "no vehicle yet"}
        </strong>
        <Link
          to={`/garage?back=${back}${current ? `&vehicle=${encodeURIComponent(current.key)}` : ""}`}
          className="inline-flex min-h-11 items-center rounded-md px-2 font-semibold text-blue-800 underline"
        >
          {current ? "Change vehicle" : "Add your vehicle"}
        </Link>
        {others.length > 0 && (
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <span>Switch to</span>
            <select
              value=""
              onChange={(e) => e.target.value && select(e.target.value)}
              className="min-h-11 rounded-md border border-slate-400 bg-white px-2"
            >
              <option value="">a saved vehicle…</option>
              {others.map((v) => (
                <option key={v.key} value={v.key}>
                  {vehicleLabel(v)}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
    </section>
  );
}
