// The garage follows the account. On sign-in the browser's vehicles are saved to the
// account garage (the current one kept current), then the browser holds the account's
// list; while signed in, each vehicle added, removed or chosen is saved there too; on
// sign-out the browser forgets them. The account garage takes exact configurations only:
// a vehicle known by year/make/model alone stays in this browser until it is narrowed.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { api, ApiError, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { useGarage } from "../garage/GarageProvider";
import { fromConfiguration, type GarageVehicle } from "../garage/vehicle";
import { shopApi, useShopSession } from "./session";

type AccountVehicle = components["schemas"]["GarageVehicle"];

/** Whose account the browser's garage mirrors: a garage already the account's is not
 * pushed again on a reload (a vehicle removed on another device stays removed). */
const OWNER_KEY = "am_garage_owner";

function owner(): string | null {
  try {
    return localStorage.getItem(OWNER_KEY);
  } catch {
    return null;
  }
}

function setOwner(user: number | null): void {
  if (user === null) localStorage.removeItem(OWNER_KEY);
  else localStorage.setItem(OWNER_KEY, String(user));
}

// The last failure to save the garage, for the account page to say.
let problem: string | null = null;
const listeners = new Set<() => void>();
function report(next: string | null): void {
  problem = next;
  for (const l of listeners) l();
}

export function useGarageSyncProblem(): string | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => problem,
    () => null,
  );
}

const why = (exc: unknown) =>
  `Your garage could not be saved to your account (${exc instanceof ApiError ? exc.message : "the store could not be reached"}). It is kept in this browser; sign in again to retry.`;

const exactKeys = (vehicles: GarageVehicle[]) => new Set(vehicles.filter((v) => v.id !== null).map((v) => v.key));

async function details(queries: QueryClient, saved: AccountVehicle): Promise<GarageVehicle> {
  try {
    const vehicle = await queries.fetchQuery({
      queryKey: ["vehicle", saved.vehicle_id],
      queryFn: async () => unwrap(await api.GET("/api/vehicles/{vehicle_id}", { params: { path: { vehicle_id: saved.vehicle_id } } })),
    });
    return fromConfiguration(vehicle);
  } catch {
    const attrs: Record<string, string> = saved.submodel ? { submodel: saved.submodel } : {};
    return { key: String(saved.vehicle_id), id: saved.vehicle_id, year: saved.year, make: saved.make, model: saved.model, attrs };
  }
}

/** Saves the browser's vehicles to the account (all of them when `pushAll`, else only the
 * current one) and returns the garage the browser should hold, with its current vehicle. */
export async function mergeIntoAccount(
  queries: QueryClient,
  local: GarageVehicle[],
  currentKey: string | null,
  pushAll: boolean,
): Promise<{ vehicles: GarageVehicle[]; current: string | null }> {
  let account = unwrap(await shopApi.GET("/api/garage"));
  const have = new Set(account.map((v) => String(v.vehicle_id)));
  for (const v of local) {
    if (v.id === null || have.has(v.key) || !(pushAll || v.key === currentKey)) continue;
    account = unwrap(await shopApi.POST("/api/garage", { body: { vehicle_id: v.id, make_current: v.key === currentKey } }));
  }
  const accountCurrent = account.find((v) => v.is_current);
  const current = currentKey ?? (accountCurrent ? String(accountCurrent.vehicle_id) : null);
  const wanted = account.find((v) => String(v.vehicle_id) === current);
  if (wanted && !wanted.is_current) {
    account = unwrap(await shopApi.PUT("/api/garage/{vehicle_id}/current", { params: { path: { vehicle_id: wanted.vehicle_id } } }));
  }
  const vehicles = await Promise.all(account.map((saved) => local.find((v) => v.key === String(saved.vehicle_id)) ?? details(queries, saved)));
  return { vehicles: [...vehicles, ...local.filter((v) => v.id === null)], current };
}

interface Synced {
  keys: Set<string>;
  current: string | null;
}

/** Renders nothing: keeps the garage and the signed-in account's garage the same. */
export function GarageSync() {
  const session = useShopSession();
  const garage = useGarage();
  const queries = useQueryClient();
  const latest = useRef(garage);
  latest.current = garage;
  const synced = useRef<Synced | null>(null);
  // Saves run one after another, in the order the changes happened: choosing a vehicle
  // just added must not reach the server before the vehicle does.
  const queue = useRef<Promise<void>>(Promise.resolve());
  const [merged, setMerged] = useState(0);
  const userId = session.status === "signed-in" ? session.user.id : null;
  const signedOut = session.status === "signed-out";

  // Sign-in (or a reload that restored the session): merge, then follow the account.
  useEffect(() => {
    if (userId === null) {
      if (signedOut && (synced.current || owner())) {
        latest.current.replace([], null); // a shared computer keeps no one's vehicles
        setOwner(null);
        synced.current = null;
        report(null);
      }
      return;
    }
    let live = true;
    synced.current = null;
    const { vehicles, current } = latest.current;
    mergeIntoAccount(queries, vehicles, current?.key ?? null, owner() !== String(userId))
      .then((result) => {
        if (!live) return;
        latest.current.replace(result.vehicles, result.current);
        setOwner(userId);
        synced.current = { keys: exactKeys(result.vehicles), current: result.current };
        report(null);
        setMerged((n) => n + 1);
      })
      .catch((exc: unknown) => live && report(why(exc)));
    return () => {
      live = false;
    };
  }, [userId, signedOut, queries]);

  // Signed in: what changes in the garage is saved to the account.
  useEffect(() => {
    const before = synced.current;
    if (!before) return;
    const keys = exactKeys(garage.vehicles);
    const current = garage.current && garage.current.id !== null ? garage.current.key : null;
    const added = [...keys].filter((k) => !before.keys.has(k));
    const removed = [...before.keys].filter((k) => !keys.has(k));
    const chosen = current !== null && current !== before.current && !added.includes(current) ? current : null;
    if (!added.length && !removed.length && chosen === null) return;
    synced.current = { keys, current: current ?? before.current };
    queue.current = queue.current.then(async () => {
      for (const key of added) await shopApi.POST("/api/garage", { body: { vehicle_id: Number(key), make_current: key === current } }).then(unwrap);
      for (const key of removed) {
        const { response } = await shopApi.DELETE("/api/garage/{vehicle_id}", { params: { path: { vehicle_id: Number(key) } } });
        if (!response.ok && response.status !== 404) throw new ApiError(response.status, `HTTP ${response.status}`);
      }
      if (chosen !== null) await shopApi.PUT("/api/garage/{vehicle_id}/current", { params: { path: { vehicle_id: Number(chosen) } } }).then(unwrap);
    }).then(
      () => report(null),
      (exc: unknown) => report(why(exc)),
    );
  }, [garage.vehicles, garage.current, merged]);

  return null;
}
