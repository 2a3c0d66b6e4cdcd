// Checkout: contact, shipping address and speed, fit checked again for every line,
// then payment through the store's only provider, the test provider (named on the
// page: it records the payment and never charges). One Idempotency-Key per attempt:
// a double click or a retry after a lost answer places the order once.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { Link, useNavigate } from "react-router";
import type { components } from "../../api/schema";
import { shopApi, useSignedInEmail } from "../account/session";
import { useVehiclePath } from "../garage/GarageProvider";
import { CartVehicle } from "./CartPage";
import { cents, setCartId, useCart, useCartActions, type CheckoutSession } from "./cart";
import { LineFit, needsAcknowledging } from "./LineFit";
import { Messages } from "./Messages";
import { rememberOrder } from "./orders";
import { Totals } from "./Totals";

type Address = components["schemas"]["Address"];
type Refusal = { detail?: string; messages?: components["schemas"]["automechanica__commerce__sessions__Message"][]; checkout_session?: CheckoutSession };

const input = "min-h-11 w-full rounded-md border border-slate-400 bg-white px-3";

function Field({ label, children, id }: { label: string; children: ReactNode; id: string }) {
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="font-medium">
        {label}
      </label>
      {children}
    </div>
  );
}

function CheckoutForm({ session }: { session: CheckoutSession }) {
  const id = useId();
  const navigate = useNavigate();
  const { update, keep } = useCartActions();
  const accountEmail = useSignedInEmail();
  const [email, setEmail] = useState(session.email ?? accountEmail ?? "");
  const [address, setAddress] = useState<Address>(session.shipping_address ?? { name: "", line1: "", city: "", state: "", postal_code: "", country: "US" });
  const [speed, setSpeed] = useState(session.fulfillment_option || "standard");
  const [acknowledged, setAcknowledged] = useState(false);
  const [decline, setDecline] = useState(false);
  const [problem, setProblem] = useState<{ detail: string; messages: Refusal["messages"] } | null>(null);
  const [placing, setPlacing] = useState(false);
  const key = useRef(crypto.randomUUID());
  const set = (field: keyof Address) => (e: { target: { value: string } }) => setAddress({ ...address, [field]: e.target.value });
  const warn = needsAcknowledging(session.line_items);
  // Signed in (or the session restored after the form opened): the account's email.
  useEffect(() => {
    if (accountEmail) setEmail((typed) => typed || accountEmail);
  }, [accountEmail]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setProblem(null);
    setPlacing(true);
    try {
      const { line2, ...rest } = address;
      const shipping_address = { ...rest, state: rest.state.toUpperCase(), ...(line2 ? { line2 } : {}) };
      const saved = await update.mutateAsync({ email: email.trim(), shipping_address, fulfillment_option: speed as "standard" | "expedited" });
      if (saved.messages.some((m) => m.type === "error")) {
        setProblem({ detail: "Please fix the details below.", messages: saved.messages });
        return;
      }
      // Through shopApi: signed in, the order is the account's (listed under My orders).
      const { data, error, response } = await shopApi.POST("/api/carts/{cart_id}/complete", {
        params: { path: { cart_id: session.id }, header: { "Idempotency-Key": key.current } },
        body: { acknowledge_fit_warnings: acknowledged, payment: { provider: "test", ...(decline ? { token: "test_decline" } : {}) } },
      });
      if (response.ok && data) {
        setCartId(null);
        rememberOrder(data.order.number, email.trim());
        navigate(`/orders/${encodeURIComponent(data.order.number)}`, { state: { order: data.order, payment: data.payment } });
        return;
      }
      const refusal = (error ?? {}) as Refusal;
      if (refusal.checkout_session) keep(refusal.checkout_session);
      key.current = crypto.randomUUID(); // refused: nothing was placed, the next try is a new request
      setProblem({ detail: refusal.detail ?? `Checkout failed (HTTP ${response.status}).`, messages: refusal.messages });
    } catch (exc) {
      // The answer was lost: the same key again returns the order if it was placed.
      setProblem({ detail: `Not placed yet: ${(exc as Error).message}. Try again; you will not be charged twice.`, messages: [] });
    } finally {
      setPlacing(false);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-4 md:grid-cols-[1fr_20rem]" noValidate>
      <div className="flex flex-col gap-4">
        <fieldset className="flex flex-col gap-3 rounded-md border border-slate-300 bg-white p-4">
          <legend className="px-1 font-semibold">Contact</legend>
          <Field label="Email (for your order confirmation)" id={`${id}-email`}>
            <input id={`${id}-email`} type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} required className={input} />
          </Field>
          {accountEmail ? (
            <p className="text-sm text-slate-700">Signed in as {accountEmail}: this order will be listed under My orders in your account.</p>
          ) : (
            <p className="text-sm text-slate-700">
              <Link to="/account/sign-in?next=%2Fcheckout" className="text-blue-800 underline">
                Sign in
              </Link>{" "}
              to keep this order in your account, or check out as a guest.
            </p>
          )}
        </fieldset>
        <fieldset className="flex flex-col gap-3 rounded-md border border-slate-300 bg-white p-4">
          <legend className="px-1 font-semibold">Shipping address (US)</legend>
          <Field label="Full name" id={`${id}-name`}>
            <input id={`${id}-name`} autoComplete="name" value={address.name} onChange={set("name")} required maxLength={120} className={input} />
          </Field>
          <Field label="Address" id={`${id}-line1`}>
            <input id={`${id}-line1`} autoComplete="address-line1" value={address.line1} onChange={set("line1")} required maxLength={120} className={input} />
          </Field>
          <Field label="Apartment, suite (optional)" id={`${id}-line2`}>
            <input id={`${id}-line2`} autoComplete="address-line2" value={address.line2 ?? ""} onChange={set("line2")} maxLength={120} className={input} />
          </Field>
          <div className="grid grid-cols-[2fr_1fr_1.5fr] gap-2">
            <Field label="City" id={`${id}-city`}>
              <input id={`${id}-city`} autoComplete="address-level2" value={address.city} onChange={set("city")} required maxLength={120} className={input} />
            </Field>
            <Field label="State" id={`${id}-state`}>
              <input id={`${id}-state`} autoComplete="address-level1" value={address.state} onChange={set("state")} required maxLength={2} placeholder="IL" className={input} />
            </Field>
            <Field label="ZIP code" id={`${id}-zip`}>
              <input id={`${id}-zip`} autoComplete="postal-code" inputMode="numeric" value={address.postal_code} onChange={set("postal_code")} required maxLength={10} className={input} />
            </Field>
          </div>
        </fieldset>
        <fieldset className="flex flex-col gap-2 rounded-md border border-slate-300 bg-white p-4">
          <legend className="px-1 font-semibold">Delivery</legend>
          {session.fulfillment_options.map((o) => (
            <label key={o.id} className="flex min-h-11 items-center gap-2">
              <input type="radio" name="speed" value={o.id} checked={speed === o.id} onChange={() => setSpeed(o.id)} />
              <span>
                {o.title}: {o.price ? cents(o.price) : "free"}
                {o.estimated_delivery && ` · arrives by ${new Date(o.estimated_delivery + "T12:00:00").toLocaleDateString()}`}
              </span>
            </label>
          ))}
        </fieldset>
        <section className="flex flex-col gap-2 rounded-md border border-slate-300 bg-white p-4" aria-labelledby={`${id}-fit`}>
          <h2 id={`${id}-fit`} className="font-semibold">
            Fit, checked again
          </h2>
          <CartVehicle session={session} />
          <ul className="flex flex-col gap-2">
            {session.line_items
              .filter((l) => l.kind === "part")
              .map((l) => (
                <li key={l.id}>
                  <span className="font-medium">
                    {l.quantity} × {l.title}
                  </span>
                  <LineFit status={l.fit?.status} note={l.fit?.note} />
                </li>
              ))}
          </ul>
          {warn && (
            <label className="flex min-h-11 items-start gap-2 rounded-md bg-amber-50 p-2 text-amber-950">
              <input type="checkbox" checked={acknowledged} onChange={(e) => setAcknowledged(e.target.checked)} className="mt-1" />
              <span>I understand that a part above is not confirmed to fit my vehicle, and I want to order it anyway.</span>
            </label>
          )}
        </section>
        <section className="flex flex-col gap-2 rounded-md border border-slate-300 bg-white p-4" aria-labelledby={`${id}-pay`}>
          <h2 id={`${id}-pay`} className="font-semibold">
            Payment
          </h2>
          <p data-testid="payment-provider">
            Paid through the <strong>test payment provider</strong>: it records the payment and <strong>never charges</strong> anything. No card details are
            asked for.
          </p>
          <label className="flex min-h-11 items-center gap-2 text-sm">
            <input type="checkbox" checked={decline} onChange={(e) => setDecline(e.target.checked)} />
            Simulate a declined payment (token test_decline)
          </label>
        </section>
      </div>
      <aside className="flex flex-col gap-3 self-start rounded-md border border-slate-300 bg-white p-4" aria-label="Order summary">
        <Totals totals={session.totals} />
        {problem && (
          <div role="alert" className="flex flex-col gap-2 rounded-md bg-red-50 p-3 text-red-900">
            <p>{problem.detail}</p>
            {problem.messages && <Messages messages={problem.messages} />}
          </div>
        )}
        {!problem && <Messages messages={session.messages.filter((m) => m.type !== "error")} />}
        <button type="submit" disabled={placing} className="min-h-11 rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800 disabled:opacity-60">
          {placing ? "Placing your order…" : `Place order · ${cents(session.totals.total)}`}
        </button>
      </aside>
    </form>
  );
}

export function CheckoutPage() {
  const cart = useCart();
  const withVehicle = useVehiclePath();
  useEffect(() => {
    document.title = "Checkout: AutoMechanica";
  }, []);
  const session = cart.data;
  return (
    <div className="flex flex-col gap-4">
      <h1 className="text-2xl font-bold">Checkout</h1>
      {cart.id && cart.isPending && <p role="status">Loading your cart…</p>}
      {(!cart.id || cart.error || (session && !session.line_items.some((l) => l.kind === "part"))) && (
        <p>
          Your cart is empty.{" "}
          <Link to={withVehicle("/")} className="text-blue-800 underline">
            Find parts for your vehicle
          </Link>
        </p>
      )}
      {session && session.line_items.some((l) => l.kind === "part") && <CheckoutForm session={session} />}
    </div>
  );
}
