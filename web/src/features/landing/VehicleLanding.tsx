// /vehicles/{year}/{make}/{model}: the crawlable landing page. The server writes its
// <head> (title, description, canonical link, JSON-LD) into index.html; this page draws
// the body from the same data (GET /api/landing/…): the parts that confidently fit,
// counted by part type, the first few of each, and a button to shop for the vehicle.
import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link, useParams } from "react-router";
import { api, ApiError, unwrap } from "../../api/client";
import { money } from "../../lib/format";
import { useGarage } from "../garage/GarageProvider";
import { partialVehicle } from "../garage/vehicle";

export function VehicleLanding() {
  const { year = "", make = "", model = "" } = useParams();
  const { current, save } = useGarage();
  const landing = useQuery({
    queryKey: ["landing", year, make, model],
    enabled: /^\d{4}$/.test(year),
    queryFn: async () => unwrap(await api.GET("/api/landing/{year}/{make}/{model}", { params: { path: { year: Number(year), make, model } } })),
  });
  const page = landing.data;
  useEffect(() => {
    if (page) document.title = page.title;
  }, [page]);
  if (!/^\d{4}$/.test(year) || (landing.error instanceof ApiError && landing.error.status === 404))
    return (
      <div>
        <h1 className="text-2xl font-bold">We have no parts listed for this vehicle</h1>
        <p>
          <Link to="/garage" className="text-blue-800 underline">
            Choose your vehicle
          </Link>
        </p>
      </div>
    );
  if (landing.isPending) return <p role="status">Loading…</p>;
  if (landing.error || !page)
    return (
      <p role="alert" className="text-red-800">
        {landing.error?.message}
      </p>
    );
  const vehicle = partialVehicle(page.year, page.make, page.model);
  const chosen = current?.year === page.year && current.make === page.make && current.model === page.model;
  const key = chosen && current ? current.key : vehicle.key;
  const withVehicle = (path: string) => `${path}${path.includes("?") ? "&" : "?"}vehicle=${encodeURIComponent(key)}`;
  return (
    <div className="flex flex-col gap-4">
      <h1 className="text-2xl font-bold">{page.title}</h1>
      <p>{page.intro}</p>
      {!chosen && (
        <button type="button" onClick={() => save(vehicle)} className="min-h-11 self-start rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800">
          Shop for my {page.year} {page.make} {page.model}
        </button>
      )}
      <p className="text-slate-700">
        {page.part_count} part(s) that fit, in {page.part_types.length} part type(s).
      </p>
      <ul className="grid gap-3 md:grid-cols-2">
        {page.part_types.map((t) => (
          <li key={t.slug} className="rounded-md border border-slate-300 bg-white p-3">
            <h2 className="font-semibold">
              <Link to={withVehicle(`/search?part_type=${encodeURIComponent(t.slug)}`)} className="text-blue-800 underline">
                {t.part_type} ({t.count})
              </Link>
            </h2>
            <ul className="mt-1 flex flex-col gap-1 text-sm">
              {t.top.map((p) => (
                <li key={p.id}>
                  <Link to={withVehicle(p.path)} className="underline">
                    {p.brand} {p.part_number}: {p.name}
                  </Link>{" "}
                  {money(p.price) ?? ""}
                  {!p.fits_every_configuration && <span className="text-amber-900"> · fits some trims or engines: check fit</span>}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </div>
  );
}
