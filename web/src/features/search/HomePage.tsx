// The front door: a search box and the catalog by system, for the current vehicle.
import { Link } from "react-router";
import { useGarage, useVehiclePath } from "../garage/GarageProvider";
import { vehicleLabel } from "../garage/vehicle";
import { groupByCategory } from "./categories";
import { usePartSearch } from "./usePartSearch";

export function HomePage() {
  const { current } = useGarage();
  const withVehicle = useVehiclePath();
  const search = usePartSearch({ onlyFitting: true }, current, 1);
  const groups = groupByCategory(search.data?.facets.part_type ?? []);
  return (
    <div className="flex flex-col gap-6">
      <h1 className="text-2xl font-bold">
        {current ? `Parts for your ${vehicleLabel(current)}` : "Parts that fit, with the evidence"}
      </h1>
      {!current && (
        <p>
          <Link to="/garage" className="inline-flex min-h-11 items-center rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800">
            Add your vehicle
          </Link>{" "}
          <span className="text-slate-700">and every part says whether it fits.</span>
        </p>
      )}
      <section aria-labelledby="categories-heading">
        <h2 id="categories-heading" className="mb-3 text-xl font-semibold">
          Shop by category
        </h2>
        {search.isPending && <p>Loading categories…</p>}
        {search.isError && <p role="alert">{search.error.message}</p>}
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {groups.map((g) => (
            <section key={g.category} aria-label={g.category} className="rounded-md border border-slate-300 bg-white p-3">
              <h3 className="font-semibold">{g.category}</h3>
              <ul className="mt-1">
                {g.types.map((t) => (
                  <li key={t.slug}>
                    <Link to={withVehicle(`/search?part_type=${t.slug}`)} className="flex min-h-9 items-center justify-between gap-2 text-blue-800 hover:underline">
                      <span>{t.name}</span>
                      <span className="text-sm text-slate-600">{t.count}</span>
                    </Link>
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      </section>
    </div>
  );
}
