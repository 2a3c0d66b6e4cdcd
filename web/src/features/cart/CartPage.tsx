import { useEffect } from "react";
import { Link } from "react-router";
import { useAnswer } from "../fitment/useFit";
import { useGarage, useVehiclePath } from "../garage/GarageProvider";
import { vehicleLabel } from "../garage/vehicle";
import { cartVehicle, cents, useCart, useCartActions, type CheckoutSession, type LineItem } from "./cart";
import { LineFit } from "./LineFit";
import { Messages } from "./Messages";
import { Totals } from "./Totals";

const ASKABLE: Record<string, string> = { submodel: "trim", engine_liters: "engine", drive: "drive" };

/** "Check fit": the one question that decides it, answered here; the answer narrows the
 * current vehicle (as on the product page) and the cart is checked again for it. */
function FitQuestion({ line }: { line: LineItem }) {
  const { current } = useGarage();
  const answer = useAnswer();
  const { update } = useCartActions();
  const fit = line.fit;
  const options = fit?.ask_options ?? [];
  if (!current || !fit || fit.status !== "need_more_information" || !fit.ask_next || !ASKABLE[fit.ask_next] || options.length === 0) return null;
  const busy = answer.isPending || update.isPending;
  return (
    <div role="group" aria-label={`Which ${ASKABLE[fit.ask_next]} is your ${current.make} ${current.model}?`} className="mt-1 flex flex-wrap items-center gap-2 text-sm">
      <span>Which {ASKABLE[fit.ask_next]}?</span>
      {options.map((option) => (
        <button
          key={option}
          type="button"
          disabled={busy}
          className="min-h-11 rounded-md border border-amber-600 bg-white px-3"
          onClick={async () => {
            const { after } = await answer.mutateAsync({ attribute: fit.ask_next ?? "", value: option });
            update.mutate(cartVehicle(after));
          }}
        >
          {fit.ask_next === "engine_liters" ? `${option}L` : option}
        </button>
      ))}
    </div>
  );
}

function Lines({ session }: { session: CheckoutSession }) {
  const { setQuantity, remove, update } = useCartActions();
  const busy = update.isPending || remove.isPending;
  return (
    <ul className="flex flex-col gap-2" aria-label="Cart lines">
      {session.line_items.map((l) =>
        l.kind === "part" ? (
          <li key={l.id} className="rounded-md border border-slate-300 bg-white p-3">
            <p className="font-semibold">
              <Link to={`/parts/${l.part_id}`} className="text-blue-800 underline">
                {l.title}
              </Link>
            </p>
            <p className="text-sm text-slate-700">
              {l.brand} · <span className="font-mono">{l.part_number}</span> · {cents(l.unit_price)} each
            </p>
            <LineFit status={l.fit?.status} note={l.fit?.note} />
            <FitQuestion line={l} />
            <p className="text-sm">
              {l.in_stock ? "In stock" : "Out of stock"}
              {l.estimated_delivery && ` · arrives by ${new Date(l.estimated_delivery + "T12:00:00").toLocaleDateString()}`}
            </p>
            {l.disclosure && <p className="text-sm text-slate-700">{l.disclosure}</p>}
            <div className="mt-2 flex flex-wrap items-center gap-2">
              <label className="flex items-center gap-2 text-sm">
                Quantity
                <select
                  value={l.quantity}
                  disabled={busy}
                  onChange={(e) => setQuantity(session, l.part_id, Number(e.target.value))}
                  className="min-h-11 rounded-md border border-slate-400 bg-white px-2"
                >
                  {Array.from({ length: Math.max(10, l.quantity) }, (_, i) => i + 1).map((n) => (
                    <option key={n}>{n}</option>
                  ))}
                </select>
              </label>
              <button type="button" disabled={busy} onClick={() => remove.mutate(l.part_id)} className="min-h-11 rounded-md border border-slate-400 px-3">
                Remove<span className="sr-only"> {l.title}</span>
              </button>
              <span className="ml-auto font-semibold">{cents(l.total)}</span>
            </div>
          </li>
        ) : (
          <li key={l.id} className="rounded-md border border-dashed border-slate-400 bg-white p-3 text-sm">
            <span className="font-medium">{l.title}</span> × {l.quantity}: {cents(l.total)}
            {l.disclosure && <span className="block text-slate-700">{l.disclosure}</span>}
          </li>
        ),
      )}
      {(update.error ?? remove.error) && (
        <li role="alert" className="text-red-800">
          Not changed: {(update.error ?? remove.error)?.message}
        </li>
      )}
    </ul>
  );
}

/** Which vehicle the cart's fit is checked against, and switching it to the current one. */
export function CartVehicle({ session }: { session: CheckoutSession }) {
  const { current } = useGarage();
  const { update } = useCartActions();
  const differs = current && (current.id === null || current.id !== session.vehicle?.id);
  return (
    <div className="rounded-md bg-slate-100 p-3">
      <p>
        {session.vehicle ? (
          <>
            Fit checked for <strong data-testid="cart-vehicle">{session.vehicle.name}</strong>.
          </>
        ) : (
          "No vehicle chosen: fit is not checked."
        )}
      </p>
      {differs && current && session.vehicle?.name !== vehicleLabel(current) && (
        <button type="button" disabled={update.isPending} onClick={() => update.mutate(cartVehicle(current))} className="mt-2 min-h-11 rounded-md border border-slate-400 bg-white px-3">
          Check fit for my {vehicleLabel(current)}
        </button>
      )}
    </div>
  );
}

export function CartPage() {
  const cart = useCart();
  const withVehicle = useVehiclePath();
  useEffect(() => {
    document.title = "Your cart: AutoMechanica";
  }, []);
  const session = cart.data;
  const parts = session?.line_items.filter((l) => l.kind === "part") ?? [];
  return (
    <div className="flex flex-col gap-4">
      <h1 className="text-2xl font-bold">Your cart</h1>
      {cart.id && cart.isPending && <p role="status">Loading your cart…</p>}
      {(!cart.id || (session && parts.length === 0) || cart.error) && (
        <p>
          Your cart is empty.{" "}
          <Link to={withVehicle("/")} className="text-blue-800 underline">
            Find parts for your vehicle
          </Link>
        </p>
      )}
      {session && parts.length > 0 && (
        <div className="grid gap-4 md:grid-cols-[1fr_20rem]">
          <div className="flex flex-col gap-3">
            <CartVehicle session={session} />
            <Lines session={session} />
          </div>
          <aside className="flex flex-col gap-3 rounded-md border border-slate-300 bg-white p-4" aria-label="Order summary">
            <Totals totals={session.totals} />
            <Messages messages={session.messages} />
            <Link to={withVehicle("/checkout")} className="flex min-h-11 items-center justify-center rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800">
              Check out
            </Link>
          </aside>
        </div>
      )}
    </div>
  );
}
