// /account: who is signed in, My orders (the account's own, from /api/orders, each
// linking to its order page), the garage (which follows the account), and sign out.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, Navigate, useLocation } from "react-router";
import { unwrap } from "../../api/client";
import type { Me } from "../../lib/auth";
import { cents } from "../cart/cart";
import { useGarage, useVehiclePath } from "../garage/GarageProvider";
import { vehicleLabel } from "../garage/vehicle";
import { useGarageSyncProblem } from "./GarageSync";
import { shopApi, shopSession, useShopSession } from "./session";

const ORDERS = ["account", "orders"] as const;

function MyOrders() {
  const orders = useQuery({
    queryKey: ORDERS,
    queryFn: async () => unwrap(await shopApi.GET("/api/orders", { params: { query: { limit: 50 } } })),
  });
  return (
    <section aria-labelledby="my-orders" className="flex flex-col gap-2 rounded-md border border-slate-300 bg-white p-4">
      <h2 id="my-orders" className="text-lg font-semibold">
        My orders
      </h2>
      {orders.isPending && <p role="status">Loading your orders…</p>}
      {orders.error && (
        <p role="alert" className="rounded-md bg-red-50 p-3 text-red-900">
          Your orders could not be loaded: {orders.error.message}.
        </p>
      )}
      {orders.data && orders.data.length === 0 && <p>No orders yet. Orders you place while signed in are listed here.</p>}
      {orders.data && orders.data.length > 0 && (
        <ul aria-label="Orders" className="flex flex-col divide-y divide-slate-200">
          {orders.data.map((o) => (
            <li key={o.number} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2">
              <Link to={`/orders/${encodeURIComponent(o.number)}`} className="min-h-11 content-center font-medium text-blue-800 underline">
                Order {o.number}
              </Link>
              <span className="text-slate-700">{new Date(o.placed_at).toLocaleDateString()}</span>
              <span>
                {o.line_count} part{o.line_count === 1 ? "" : "s"} · {cents(o.total)}
              </span>
              <span className="rounded bg-slate-100 px-2 py-0.5 text-sm" data-testid="order-summary-status">
                {o.status}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function MyGarage() {
  const garage = useGarage();
  const withVehicle = useVehiclePath();
  const problem = useGarageSyncProblem();
  return (
    <section aria-labelledby="my-garage" className="flex flex-col gap-2 rounded-md border border-slate-300 bg-white p-4">
      <h2 id="my-garage" className="text-lg font-semibold">
        My garage
      </h2>
      {problem && (
        <p role="alert" className="rounded-md bg-amber-50 p-3 text-amber-950">
          {problem}
        </p>
      )}
      {garage.vehicles.length === 0 ? (
        <p>No vehicles saved yet.</p>
      ) : (
        <ul aria-label="Saved vehicles" className="flex flex-col gap-1">
          {garage.vehicles.map((v) => (
            <li key={v.key}>
              {vehicleLabel(v)}
              {garage.current?.key === v.key && <span className="ml-2 rounded bg-blue-100 px-2 py-0.5 text-sm text-blue-900">current</span>}
              {v.id === null && <span className="ml-2 text-sm text-slate-700">(kept in this browser until its trim and engine are known)</span>}
            </li>
          ))}
        </ul>
      )}
      <p>
        <Link to={withVehicle("/garage")} className="font-medium text-blue-800 underline">
          Add or change vehicles
        </Link>
      </p>
    </section>
  );
}

function Account({ user, onSignOut }: { user: Me; onSignOut: () => void }) {
  const queries = useQueryClient();
  const [leaving, setLeaving] = useState(false);
  async function signOut() {
    setLeaving(true);
    onSignOut();
    await shopSession.logout();
    // What one account saw is not shown to the next; the account's cart is asked for
    // again as a guest's, and forgotten (a 404) unless it was a guest's cart.
    queries.removeQueries({ queryKey: ["account"] });
    await queries.invalidateQueries({ queryKey: ["cart"] });
  }
  return (
    <div className="mx-auto flex max-w-2xl flex-col gap-4">
      <h1 className="text-2xl font-bold">Your account</h1>
      <div className="flex flex-wrap items-center gap-3">
        <p className="grow">
          Signed in as <strong data-testid="account-email">{user.email}</strong>
        </p>
        <button
          type="button"
          onClick={() => void signOut()}
          disabled={leaving}
          className="min-h-11 rounded-md border border-slate-500 px-4 font-medium hover:bg-slate-100 disabled:opacity-60"
        >
          {leaving ? "Signing out…" : "Sign out"}
        </button>
      </div>
      <MyOrders />
      <MyGarage />
    </div>
  );
}

export function AccountPage() {
  const session = useShopSession();
  const location = useLocation();
  const [signedOut, setSignedOut] = useState(false);
  useEffect(() => {
    document.title = "Your account: AutoMechanica";
  }, []);
  if (session.status === "checking") return <p role="status">Checking your session…</p>;
  if (session.status === "signed-out") {
    // Signed out here: back to the store's front (after the garage is emptied, by effect order).
    if (signedOut) return <Navigate to="/" replace />;
    return <Navigate to={`/account/sign-in${location.search}`} replace />;
  }
  return <Account user={session.user} onSignOut={() => setSignedOut(true)} />;
}
