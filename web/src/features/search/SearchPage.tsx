// Search and browsing for the current vehicle: words or a part number, facets (part type,
// brand from the API; price over the page shown), every result with its fit badge.
import { useId } from "react";
import { Link, useSearchParams } from "react-router";
import type { PartSummary } from "../../api/client";
import { useGarage } from "../garage/GarageProvider";
import { vehicleLabel } from "../garage/vehicle";
import { partTypeName } from "./categories";
import { ResultCard } from "./ResultCard";
import { usePartSearch } from "./usePartSearch";

const PRICE_BANDS = [
  { key: "0-25", label: "Under $25", min: 0, max: 25 },
  { key: "25-50", label: "$25 to $50", min: 25, max: 50 },
  { key: "50-100", label: "$50 to $100", min: 50, max: 100 },
  { key: "100-", label: "$100 and up", min: 100, max: Infinity },
] as const;

function inBand(part: PartSummary, key: string): boolean {
  const band = PRICE_BANDS.find((b) => b.key === key);
  if (!band) return true;
  if (part.price === null) return false;
  const price = Number(part.price);
  return price >= band.min && price < band.max;
}

export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const { current } = useGarage();
  const q = params.get("q") ?? "";
  const partType = params.get("part_type") ?? "";
  const brand = params.get("brand") ?? "";
  const price = params.get("price") ?? "";
  const page = Math.max(1, Number(params.get("page") ?? "1") || 1);
  const onlyFitting = params.get("all") !== "1";
  const search = usePartSearch({ q, part_type: partType, brand, page, onlyFitting }, current);
  const data = search.data;
  const items = (data?.items ?? []).filter((p) => !price || inBand(p, price));
  const pages = data ? Math.min(100, Math.ceil(data.total / data.per_page)) : 1;
  const filtersId = useId();

  function set(name: string, value: string | null) {
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (value) next.set(name, value);
      else next.delete(name);
      if (name !== "page") next.delete("page");
      return next;
    });
  }

  const heading = [partType ? partTypeName(partType) : null, q ? `“${q}”` : null].filter(Boolean).join(" matching ") || "All parts";
  return (
    <div className="flex flex-col gap-4">
      <div>
        <h1 className="text-2xl font-bold">{heading}</h1>
        <p className="text-slate-700" aria-live="polite">
          {data ? `${data.total} part${data.total === 1 ? "" : "s"}` : search.isPending ? "Searching…" : ""}
          {current && current.id !== null && onlyFitting && data ? ` for your ${vehicleLabel(current)}` : ""}
        </p>
        {current && current.id === null && (
          <p className="text-sm text-slate-700">
            Showing every part: badges say which fit. Answer a part's question (or{" "}
            <Link className="underline" to={`/garage?vehicle=${encodeURIComponent(current.key)}`}>
              finish your vehicle
            </Link>
            ) to narrow it.
          </p>
        )}
      </div>
      {search.isError && (
        <p role="alert" className="text-red-800">
          {search.error.message}
        </p>
      )}
      <div className="flex flex-col gap-4 md:flex-row">
        <aside aria-labelledby={filtersId} className="md:w-64 md:shrink-0">
          <details open className="rounded-md border border-slate-300 bg-white p-3 md:open:block">
            <summary id={filtersId} className="min-h-11 cursor-pointer content-center font-semibold">
              Filters
            </summary>
            <div className="mt-2 flex flex-col gap-4">
              {current?.id != null && (
                <label className="flex min-h-11 items-center gap-2">
                  <input type="checkbox" checked={onlyFitting} onChange={(e) => set("all", e.target.checked ? null : "1")} className="size-5" />
                  Only parts for my vehicle
                </label>
              )}
              <Facet
                title="Part type"
                values={(data?.facets.part_type ?? []).map((f) => ({ ...f, label: partTypeName(f.value) }))}
                selected={partType}
                onSelect={(v) => set("part_type", v)}
              />
              <Facet
                title="Brand"
                values={(data?.facets.brand ?? []).map((f) => ({ ...f, label: f.value }))}
                selected={brand}
                onSelect={(v) => set("brand", v)}
              />
              <Facet
                title="Price (this page)"
                values={PRICE_BANDS.map((b) => ({
                  value: b.key,
                  label: b.label,
                  count: (data?.items ?? []).filter((p) => inBand(p, b.key)).length,
                }))}
                selected={price}
                onSelect={(v) => set("price", v)}
              />
            </div>
          </details>
        </aside>
        <section aria-label="Results" className="grow">
          {data && items.length === 0 && <p>No parts match. Try fewer filters.</p>}
          <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
            {items.map((part) => (
              <ResultCard key={part.id} part={part} />
            ))}
          </ul>
          {pages > 1 && (
            <nav aria-label="Pages" className="mt-4 flex items-center gap-3">
              <button type="button" disabled={page <= 1} onClick={() => set("page", String(page - 1))} className="min-h-11 rounded-md border border-slate-400 px-3 disabled:text-slate-500">
                Previous
              </button>
              <span>
                Page {page} of {pages}
              </span>
              <button type="button" disabled={page >= pages} onClick={() => set("page", String(page + 1))} className="min-h-11 rounded-md border border-slate-400 px-3 disabled:text-slate-500">
                Next
              </button>
            </nav>
          )}
        </section>
      </div>
    </div>
  );
}

function Facet(props: {
  title: string;
  values: { value: string; label: string; count: number }[];
  selected: string;
  onSelect: (value: string | null) => void;
}) {
  const id = useId();
  if (props.values.length === 0) return null;
  return (
    <fieldset>
      <legend className="mb-1 font-medium">{props.title}</legend>
      <ul className="flex flex-col">
        {props.values.map((v) => (
          <li key={v.value}>
            <label className="flex min-h-9 items-center gap-2">
              <input
                type="radio"
                name={id}
                checked={props.selected === v.value}
                onChange={() => props.onSelect(v.value)}
                className="size-4"
              />
              <span className="grow">{v.label}</span>
              <span className="text-sm text-slate-600">{v.count}</span>
            </label>
          </li>
        ))}
      </ul>
      {props.selected && (
        <button type="button" onClick={() => props.onSelect(null)} className="mt-1 min-h-9 text-sm text-blue-800 underline">
          Any {props.title.toLowerCase()}
        </button>
      )}
    </fieldset>
  );
}
