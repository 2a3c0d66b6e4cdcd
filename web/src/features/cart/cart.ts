// The shopper's cart (a checkout session on the server): a guest's cart is reached by
// its random id, kept in localStorage so it survives a reload. Every answer is the
// whole session, so the query cache is simply set from each mutation's answer. Calls go
// through shopApi: signed in, a new cart is the customer's (another browser's guest or
// a signed-out visitor cannot read it).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useSyncExternalStore } from "react";
import { ApiError, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { shopApi } from "../account/session";
import type { GarageVehicle } from "../garage/vehicle";

export type CheckoutSession = components["schemas"]["CheckoutSession"];
export type LineItem = components["schemas"]["LineItem"];
type VehicleDescription = components["schemas"]["VehicleDescription"];

const KEY = "am_cart";
const listeners = new Set<() => void>();

function readId(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setCartId(id: string | null): void {
  if (id) localStorage.setItem(KEY, id);
  else localStorage.removeItem(KEY);
  for (const l of listeners) l();
}

export function useCartId(): string | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      const onStorage = (e: StorageEvent) => e.key === KEY && l();
      window.addEventListener("storage", onStorage);
      return () => {
        listeners.delete(l);
        window.removeEventListener("storage", onStorage);
      };
    },
    readId,
    () => null,
  );
}

/** A cent amount (the checkout's minor units) as "$12.34". */
export function cents(amount: number | null | undefined): string {
  return amount === null || amount === undefined ? "—" : `$${(amount / 100).toFixed(2)}`;
}

/** What the cart should know of the current vehicle: its configuration, or what is known so far. */
export function cartVehicle(v: GarageVehicle | null): { vehicle_id: number } | { vehicle: VehicleDescription } | Record<string, never> {
  if (!v) return {};
  if (v.id !== null) return { vehicle_id: v.id };
  const liters = Number(v.attrs.engine_liters);
  return {
    vehicle: {
      year: v.year,
      make: v.make,
      model: v.model,
      ...(v.attrs.submodel ? { submodel: v.attrs.submodel } : {}),
      ...(Number.isFinite(liters) && liters > 0 ? { engine_liters: liters } : {}),
      ...(v.attrs.drive ? { drive: v.attrs.drive } : {}),
    },
  };
}

export function useCart() {
  const id = useCartId();
  const query = useQuery({
    queryKey: ["cart", id],
    enabled: id !== null,
    queryFn: async () => {
      try {
        return unwrap(await shopApi.GET("/api/carts/{cart_id}", { params: { path: { cart_id: id ?? "" } } }));
      } catch (exc) {
        if (exc instanceof ApiError && exc.status === 404) setCartId(null); // expired or another browser's
        throw exc;
      }
    },
  });
  return { id, ...query };
}

/** The lines the server holds, as the list PATCH replaces them with. */
const linesOf = (s: CheckoutSession) => s.line_items.filter((l) => l.kind === "part").map((l) => ({ part_id: l.part_id, quantity: l.quantity }));

export function useCartActions() {
  const queries = useQueryClient();
  const id = useCartId();
  const keep = useCallback(
    (session: CheckoutSession) => {
      queries.setQueryData(["cart", session.id], session);
      if (session.status === "completed" || session.status === "canceled") setCartId(null);
      else setCartId(session.id);
      return session;
    },
    [queries],
  );

  const add = useMutation({
    mutationFn: async ({ partId, quantity, vehicle }: { partId: number; quantity: number; vehicle: GarageVehicle | null }) => {
      if (id) {
        try {
          return keep(unwrap(await shopApi.POST("/api/carts/{cart_id}/lines", { params: { path: { cart_id: id } }, body: { part_id: partId, quantity } })));
        } catch (exc) {
          if (!(exc instanceof ApiError && (exc.status === 404 || exc.status === 409))) throw exc;
          // The cart is gone or closed: start a new one below.
        }
      }
      const created = await shopApi.POST("/api/carts", {
        params: { header: { "Idempotency-Key": crypto.randomUUID() } },
        body: { lines: [{ part_id: partId, quantity }], ...cartVehicle(vehicle) },
      });
      return keep(unwrap(created));
    },
  });

  const update = useMutation({
    mutationFn: async (body: components["schemas"]["CartUpdate"]) =>
      keep(unwrap(await shopApi.PATCH("/api/carts/{cart_id}", { params: { path: { cart_id: id ?? "" } }, body }))),
  });

  const setQuantity = (session: CheckoutSession, partId: number, quantity: number) =>
    update.mutate({ lines: linesOf(session).map((l) => (l.part_id === partId ? { ...l, quantity } : l)) });

  const remove = useMutation({
    mutationFn: async (partId: number) =>
      keep(unwrap(await shopApi.DELETE("/api/carts/{cart_id}/lines/{part_id}", { params: { path: { cart_id: id ?? "", part_id: partId } } }))),
  });

  return { add, update, setQuantity, remove, keep };
}
