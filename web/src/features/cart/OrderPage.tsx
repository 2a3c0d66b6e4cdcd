// The order status page: what was ordered, for which vehicle and how each part's fit
// was judged at checkout, totals with core deposits, the payment, the status history.
// A guest's order is looked up by number + email.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { useLocation, useNavigate, useParams } from "react-router";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { shopApi, useShopSession } from "../account/session";
import { cents } from "./cart";
import { LineFit } from "./LineFit";
import { rememberedEmail, rememberOrder } from "./orders";
import { ReturnForm } from "./ReturnForm";
import { Totals } from "./Totals";

type Order = components["schemas"]["Order"];
type PaymentNotice = components["schemas"]["PaymentNotice"];

const input = "min-h-11 w-full rounded-md border border-slate-400 bg-white px-3";

/** Number + email: the guest's key to an order. */
export function OrderLookup({ number: given = "", heading = true }: { number?: string; heading?: boolean }) {
  const id = useId();
  const navigate = useNavigate();
  const [number, setNumber] = useState(given);
  const [email, setEmail] = useState("");
  return (
    <form
      className="flex max-w-md flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        rememberOrder(number.trim(), email.trim());
        navigate(`/orders/${encodeURIComponent(number.trim())}`, { replace: Boolean(given) });
      }}
    >
      {heading && <h1 className="text-2xl font-bold">Find your order</h1>}
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-n`} className="font-medium">
          Order number
        </label>
        <input id={`${id}-n`} value={number} onChange={(e) => setNumber(e.target.value)} required pattern="[A-Za-z0-9\-]{3,20}" className={input} />
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-e`} className="font-medium">
          Email used at checkout
        </label>
        <input id={`${id}-e`} type="email" value={email} onChange={(e) => setEmail(e.target.value)} required className={input} />
      </div>
      <button type="submit" className="min-h-11 rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800">
        Show my order
      </button>
    </form>
  );
}

function OrderView({ order, payment, email }: { order: Order; payment?: PaymentNotice | undefined; email: string }) {
  return (
    <div className="flex flex-col gap-4">
      {payment && (
        <p role="status" className="rounded-md bg-green-50 p-3 text-green-900">
          Thank you: order {order.number} is placed. {payment.message}
        </p>
      )}
      <h1 className="text-2xl font-bold">Order {order.number}</h1>
      <p>
        Status <strong data-testid="order-status">{order.status}</strong> · payment {order.payment_status} · placed {new Date(order.placed_at).toLocaleString()}
      </p>
      {order.vehicle && (
        <p>
          For your <strong>{order.vehicle.name}</strong>
        </p>
      )}
      <section aria-labelledby="lines" className="rounded-md border border-slate-300 bg-white p-4">
        <h2 id="lines" className="mb-2 font-semibold">
          Parts
        </h2>
        <ul className="flex flex-col gap-3">
          {order.lines.map((l, i) => (
            <li key={`${l.part_id}-${i}`}>
              <p className="font-medium">
                {l.quantity} × {l.title}
              </p>
              <p className="text-sm text-slate-700">
                {l.brand} · <span className="font-mono">{l.part_number}</span> · {cents(l.unit_price)} each
                {l.core_charge > 0 && ` + ${cents(l.core_charge)} core deposit each`}
                {l.ship_days !== null && ` · ships in ${l.ship_days} day(s)`}
              </p>
              <LineFit status={l.fit_status} note={l.fit_note} />
            </li>
          ))}
        </ul>
      </section>
      <div className="grid gap-4 md:grid-cols-2">
        <section aria-labelledby="paid" className="rounded-md border border-slate-300 bg-white p-4">
          <h2 id="paid" className="mb-2 font-semibold">
            Totals
          </h2>
          <Totals totals={order.totals} />
        </section>
        {order.shipping_address && (
          <section aria-labelledby="ship" className="rounded-md border border-slate-300 bg-white p-4">
            <h2 id="ship" className="mb-2 font-semibold">
              Shipping to
            </h2>
            <address className="not-italic">
              {order.shipping_address.name}
              <br />
              {order.shipping_address.line1}
              {order.shipping_address.line2 && (
                <>
                  <br />
                  {order.shipping_address.line2}
                </>
              )}
              <br />
              {order.shipping_address.city}, {order.shipping_address.state} {order.shipping_address.postal_code}
            </address>
            <p className="mt-1 text-sm">{order.fulfillment_option} delivery</p>
          </section>
        )}
      </div>
      <section aria-labelledby="history" className="rounded-md border border-slate-300 bg-white p-4">
        <h2 id="history" className="mb-2 font-semibold">
          History
        </h2>
        <ol className="flex flex-col gap-1">
          {order.history.map((h, i) => (
            <li key={i}>
              {new Date(h.at).toLocaleString()}: <strong>{h.status}</strong>
              {h.note && ` · ${h.note}`}
            </li>
          ))}
        </ol>
      </section>
      {order.status !== "cancelled" && (
        <details className="rounded-md border border-slate-300 bg-white p-4">
          <summary className="cursor-pointer font-semibold">Return a part</summary>
          <div className="mt-3">
            <ReturnForm order={order} email={email} />
          </div>
        </details>
      )}
    </div>
  );
}

export function OrderPage() {
  const { number = "" } = useParams();
  const location = useLocation();
  const given = (location.state ?? {}) as { order?: Order; payment?: PaymentNotice };
  const remembered = rememberedEmail(number);
  const session = useShopSession();
  const signedIn = session.status === "signed-in";
  useEffect(() => {
    document.title = `Order ${number}: AutoMechanica`;
  }, [number]);
  // A guest's order by number + the email kept from checkout; a signed-in customer's own
  // order by number alone (GET /api/orders/{number}).
  const lookup = useQuery({
    queryKey: ["order", number, remembered ?? (signedIn ? "account" : null)],
    enabled: Boolean(remembered) || signedIn,
    initialData: given.order?.number === number ? given.order : undefined,
    queryFn: async () =>
      remembered
        ? unwrap(await api.POST("/api/order-lookup", { body: { number, email: remembered } }))
        : unwrap(await shopApi.GET("/api/orders/{number}", { params: { path: { number } } })),
  });
  const email = remembered ?? lookup.data?.email ?? null;
  if (!remembered && session.status === "checking") return <p role="status">Loading order {number}…</p>;
  if (!remembered && !signedIn)
    return (
      <div className="flex flex-col gap-3">
        <h1 className="text-2xl font-bold">Order {number}</h1>
        <p>Enter the email used at checkout to see this order.</p>
        <OrderLookup number={number} heading={false} />
      </div>
    );
  if (lookup.isPending) return <p role="status">Loading order {number}…</p>;
  if (lookup.error && !lookup.data)
    return (
      <div className="flex flex-col gap-3">
        <h1 className="text-2xl font-bold">Order {number}</h1>
        <p role="alert" className="rounded-md bg-red-50 p-3 text-red-900">
          {remembered ? `No order ${number} with that email. Check both and try again.` : `Order ${number} is not one of your account's orders. If you checked out as a guest, enter the email you used.`}
        </p>
        <OrderLookup number={number} heading={false} />
      </div>
    );
  return <OrderView order={lookup.data} payment={given.payment} email={email ?? ""} />;
}
