// The garage: saved vehicles in localStorage, the current one in the URL (?vehicle=<id>)
// so a link can be shared. A link naming a vehicle not yet saved adds it.
import { useQuery } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { fromConfiguration, parseKey, type GarageVehicle } from "./vehicle";

const STORAGE_KEY = "automechanica.garage.v1";

interface Stored {
  vehicles: GarageVehicle[];
  last: string | null;
}

function load(): Stored {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return { vehicles: [], last: null };
    const parsed = JSON.parse(raw) as Partial<Stored>;
    const vehicles = Array.isArray(parsed.vehicles)
      ? parsed.vehicles.filter(
          (v): v is GarageVehicle =>
            typeof v?.key === "string" && typeof v.year === "number" && typeof v.make === "string",
        )
      : [];
    return { vehicles, last: typeof parsed.last === "string" ? parsed.last : null };
  } catch {
    return { vehicles: [], last: null };
  }
}

export interface Garage {
  vehicles: GarageVehicle[];
  current: GarageVehicle | null;
  /** The URL names a vehicle that is still being looked up. */
  resolving: boolean;
  select: (key: string | null) => void;
  /** Keeps the vehicle in the garage (replacing `replaces`, when given), as the last used. */
  store: (vehicle: GarageVehicle, replaces?: string) => void;
  /** Stores the vehicle and makes it current (in the URL). */
  save: (vehicle: GarageVehicle, replaces?: string) => void;
  remove: (key: string) => void;
  /** Puts `vehicles` in place of the whole garage, `current` the current one (the
   * account's garage replacing the browser's after sign-in; empty after sign-out). */
  replace: (vehicles: GarageVehicle[], current: string | null) => void;
}

const GarageContext = createContext<Garage | null>(null);

export function GarageProvider({ children }: { children: ReactNode }) {
  const [stored, setStored] = useState<Stored>(load);
  const [params, setParams] = useSearchParams();
  const urlKey = params.get("vehicle");

  useEffect(() => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(stored));
  }, [stored]);

  const select = useCallback(
    (key: string | null) => {
      setParams(
        (p) => {
          const next = new URLSearchParams(p);
          if (key) next.set("vehicle", key);
          else next.delete("vehicle");
          return next;
        },
        { replace: false },
      );
      setStored((s) => ({ ...s, last: key }));
    },
    [setParams],
  );

  const store = useCallback((vehicle: GarageVehicle, replaces?: string) => {
    setStored((s) => {
      const others = s.vehicles.filter((v) => v.key !== vehicle.key && v.key !== replaces);
      return { vehicles: [vehicle, ...others], last: vehicle.key };
    });
  }, []);

  const save = useCallback(
    (vehicle: GarageVehicle, replaces?: string) => {
      store(vehicle, replaces);
      select(vehicle.key);
    },
    [store, select],
  );

  const remove = useCallback(
    (key: string) => {
      setStored((s) => ({
        vehicles: s.vehicles.filter((v) => v.key !== key),
        last: s.last === key ? null : s.last,
      }));
      if (urlKey === key) select(null);
    },
    [select, urlKey],
  );

  // The vehicle a replace() is taking out of the URL: until the URL changes, it must not
  // rejoin the garage as a shared link's vehicle would.
  const dropped = useRef<string | null>(null);
  const replace = useCallback(
    (vehicles: GarageVehicle[], current: string | null) => {
      setStored({ vehicles, last: current });
      if (current === urlKey) return; // no navigation: another one may be under way
      dropped.current = urlKey;
      setParams(
        (p) => {
          const next = new URLSearchParams(p);
          if (current) next.set("vehicle", current);
          else next.delete("vehicle");
          return next;
        },
        { replace: true },
      );
    },
    [setParams, urlKey],
  );

  // Opening the store with no vehicle in the URL brings back the one used last (once:
  // later, no vehicle in the URL means the shopper chose none).
  const restored = useRef(false);
  useEffect(() => {
    if (restored.current) return;
    restored.current = true;
    const last = stored.last;
    if (urlKey === null && last && stored.vehicles.some((v) => v.key === last)) {
      setParams(
        (p) => {
          const next = new URLSearchParams(p);
          next.set("vehicle", last);
          return next;
        },
        { replace: true },
      );
    }
  }, [urlKey, stored.last, stored.vehicles, setParams]);

  const saved = urlKey ? stored.vehicles.find((v) => v.key === urlKey) : undefined;
  const parsed = urlKey && !saved ? parseKey(urlKey) : null;
  const lookupId = parsed && "id" in parsed && !("key" in parsed) ? parsed.id : null;
  const lookup = useQuery({
    queryKey: ["vehicle", lookupId],
    enabled: lookupId !== null,
    queryFn: async () =>
      unwrap(await api.GET("/api/vehicles/{vehicle_id}", { params: { path: { vehicle_id: lookupId ?? 0 } } })),
  });

  // A shared link's vehicle joins the garage.
  useEffect(() => {
    if (urlKey !== dropped.current) dropped.current = null;
    if (!urlKey || saved || urlKey === dropped.current) return;
    const found = lookup.data ? fromConfiguration(lookup.data) : parsed && "key" in parsed ? parsed : null;
    if (found && found.key === urlKey) {
      setStored((s) => ({ vehicles: [found, ...s.vehicles.filter((v) => v.key !== found.key)], last: found.key }));
    }
  }, [urlKey, saved, lookup.data, parsed]);

  const current = saved ?? null;
  const value = useMemo<Garage>(
    () => ({
      vehicles: stored.vehicles,
      current,
      resolving: Boolean(urlKey && !saved && (lookup.isPending && lookupId !== null)),
      select,
      store,
      save,
      remove,
      replace,
    }),
    [stored.vehicles, current, urlKey, saved, lookup.isPending, lookupId, select, store, save, remove, replace],
  );
  return <GarageContext.Provider value={value}>{children}</GarageContext.Provider>;
}

export function useGarage(): Garage {
  const garage = useContext(GarageContext);
  if (!garage) throw new Error("useGarage needs a <GarageProvider>");
  return garage;
}

/** `path` with the current vehicle kept in its query string. */
export function useVehiclePath(): (path: string) => string {
  const { current } = useGarage();
  return useCallback(
    (path: string) => {
      if (!current) return path;
      const [base, query = ""] = path.split("?");
      const params = new URLSearchParams(query);
      params.set("vehicle", current.key);
      return `${base}?${params.toString()}`;
    },
    [current],
  );
}
