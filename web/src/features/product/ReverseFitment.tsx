// The vehicles a part fits, as collapsed year ranges, filterable, with a count.
import { useId, useState } from "react";
import type { FitmentRange } from "../../api/client";

export function modelYears(ranges: FitmentRange[]): number {
  return ranges.reduce((n, r) => n + (r.year_end - r.year_start + 1), 0);
}

export function ReverseFitment({ fitment }: { fitment: FitmentRange[] }) {
  const [filter, setFilter] = useState("");
  const inputId = useId();
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = fitment.filter((r) => {
    const text = `${r.label} ${r.qualifiers.join(" ")} ${r.position ?? ""}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
  const years = modelYears(fitment);
  return (
    <section aria-labelledby="fitment-heading" className="rounded-md border border-slate-300 bg-white p-4">
      <h2 id="fitment-heading" className="text-lg font-semibold">
        Vehicles this part fits
      </h2>
      <p className="text-sm text-slate-700">
        {fitment.length === 0
          ? "No vehicle applications are listed for this part."
          : `${fitment.length} application${fitment.length === 1 ? "" : "s"}, ${years} model year${years === 1 ? "" : "s"}.`}
      </p>
      {fitment.length > 5 && (
        <div className="mt-2 flex flex-col gap-1">
          <label htmlFor={inputId} className="text-sm font-medium">
            Filter vehicles
          </label>
          <input
            id={inputId}
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="e.g. Civic 2016"
            className="min-h-11 rounded-md border border-slate-400 px-3"
          />
          <p className="text-sm text-slate-700" aria-live="polite">
            Showing {shown.length} of {fitment.length}
          </p>
        </div>
      )}
      {fitment.length > 0 && (
        <ul className="mt-2 max-h-96 divide-y divide-slate-200 overflow-auto">
          {shown.map((r, i) => (
            <li key={`${r.label}-${i}`} className="py-1">
              <span>{r.label}</span>
              {r.position && <span className="ml-2 text-sm text-slate-700">{r.position}</span>}
              {r.qualifiers.length > 0 && (
                <span className="ml-2 text-sm text-amber-900">⚠ {r.qualifiers.join("; ")}</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
