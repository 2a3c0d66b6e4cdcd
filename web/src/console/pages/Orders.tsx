// Orders: newest first by status; one order's lines, status history, purchase orders
// per supplier, returns and cores. Cancel an order nothing of has shipped.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useParams, useSearchParams } from "react-router";
import { unwrap } from "../../api/client";
import { money } from "../../lib/format";
import { adminApi } from "../auth/session";
import { Card, danger, Empty, ErrorNote, inputClass, Loading, PageTitle, secondary, Status, TextLink, when } from "../ui/ui";

const STATES = ["placed", "routed", "shipped", "delivered", "cancelled", "returned"] as const;
type State = (typeof STATES)[number];

export function OrdersPage() {
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "";
  const state = (STATES as readonly string[]).includes(status) ? (status as State) : undefined;
  const orders = useQuery({
    queryKey: ["console", "orders", state],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/orders", { params: { query: { limit: 100, ...(state ? { status: state } : {}) } } })),
    refetchInterval: 15_000,
  });
  return (
    <>
      <PageTitle>Orders</PageTitle>
      <label className="mb-4 flex max-w-xs flex-col gap-1">
        <span className="font-medium">Status</span>
        <select value={state ?? ""} onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})} className={inputClass}>
          <option value="">any</option>
          {STATES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      {orders.isPending && <Loading what="orders" />}
      {orders.error && <ErrorNote error={orders.error} />}
      {orders.data?.length === 0 && <Empty>No order{state ? ` is ${state}` : " yet"}.</Empty>}
      <ul className="grid gap-2 md:grid-cols-2">
        {orders.data?.map((o) => (
          <li key={o.id}>
            <Card>
              <p className="font-semibold">
                <TextLink to={`/console/orders/${o.id}`}>Order {o.number ?? `#${o.id}`}</TextLink> <Status value={o.status} />
              </p>
              <p className="text-sm text-slate-700">
                {money(o.total)} (cores {money(o.core_total)}) · payment {o.payment_status} · {o.purchase_orders} purchase order(s)
              </p>
              <p className="text-sm text-slate-700">
                {o.email ?? "no email"} · placed {when(o.created_at)}
              </p>
            </Card>
          </li>
        ))}
      </ul>
    </>
  );
}

export function OrderPage() {
  const { orderId } = useParams();
  const id = Number(orderId);
  const queries = useQueryClient();
  const [reason, setReason] = useState("");
  const [confirm, setConfirm] = useState(false);
  const order = useQuery({
    queryKey: ["console", "orders", "one", id],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/orders/{order_id}", { params: { path: { order_id: id } } })),
    enabled: Number.isInteger(id) && id > 0,
  });
  const cancel = useMutation({
    mutationFn: async () =>
      unwrap(await adminApi.POST("/api/admin/orders/{order_id}/cancel", { params: { path: { order_id: id } }, body: { reason: reason.trim() } })),
    onSuccess: (data) => {
      queries.setQueryData(["console", "orders", "one", id], data);
      void queries.invalidateQueries({ queryKey: ["console", "orders"] });
      setConfirm(false);
    },
  });
  if (!Number.isInteger(id) || id <= 0) return <ErrorNote error={`"${orderId}" is not an order id.`} />;
  const o = order.data;
  const cancellable = o && ["placed", "routed"].includes(o.status);
  return (
    <>
      <PageTitle>{o ? `Order ${o.number ?? `#${o.id}`}` : "Order"}</PageTitle>
      <p className="mb-4">
        <TextLink to="/console/orders">All orders</TextLink>
      </p>
      {order.isPending && <Loading what="the order" />}
      {order.error && <ErrorNote error={order.error} />}
      {o && (
        <div className="flex flex-col gap-4">
          <Card>
            <p>
              <Status value={o.status} /> payment {o.payment_status} · placed {when(o.created_at)} · {o.email ?? "no email"}
              {o.customer_id !== null && ` · customer ${o.customer_id}`}
              {o.vehicle_id !== null && ` · vehicle ${o.vehicle_id}`}
            </p>
            <p>
              Subtotal {money(o.subtotal)} · cores {money(o.core_total)} · <strong>total {money(o.total)}</strong>
            </p>
          </Card>
          <Card>
            <h2 className="mb-2 font-semibold">Lines</h2>
            <ul className="flex flex-col gap-1">
              {o.lines.map((l) => (
                <li key={l.id}>
                  {l.quantity} × <a href={`/parts/${l.part_id}`} className="text-blue-800 underline">{l.title}</a> ({l.brand} {l.part_number}) at {money(l.unit_price)}
                  {Number(l.core_charge) > 0 && ` + core ${money(l.core_charge)}`}
                </li>
              ))}
            </ul>
          </Card>
          <Card>
            <h2 className="mb-2 font-semibold">Purchase orders</h2>
            {o.purchase_orders.length === 0 ? (
              <Empty>Not routed to a supplier yet.</Empty>
            ) : (
              <ul className="flex flex-col gap-1">
                {o.purchase_orders.map((po) => (
                  <li key={po.id}>
                    PO {po.id} to {po.display_name} <Status value={po.status} /> · cost {money(po.total_cost)} · {po.format}
                    {po.tracking && ` · tracking ${po.tracking}`}
                  </li>
                ))}
              </ul>
            )}
          </Card>
          {(o.returns.length > 0 || o.core_returns.length > 0) && (
            <Card>
              <h2 className="mb-2 font-semibold">Returns and cores</h2>
              <ul className="flex flex-col gap-1">
                {o.returns.map((r) => (
                  <li key={`r${r.id}`}>
                    Return {r.id} of line {r.order_line_id}: {r.reason} <Status value={r.status} />
                    {r.workflow_id && (
                      <>
                        {" "}
                        <TextLink to={`/console/workflows/${r.workflow_id}`}>workflow</TextLink>
                      </>
                    )}
                  </li>
                ))}
                {o.core_returns.map((c) => (
                  <li key={`c${c.id}`}>
                    Core of line {c.order_line_id}: deposit {money(c.deposit)} <Status value={c.status} />
                  </li>
                ))}
              </ul>
            </Card>
          )}
          <Card>
            <h2 className="mb-2 font-semibold">History</h2>
            <ol className="flex flex-col gap-1">
              {o.history.map((h, i) => (
                <li key={i}>
                  {when(h.created_at)} <Status value={h.status} /> by {h.actor}
                  {h.note && `: ${h.note}`}
                </li>
              ))}
            </ol>
          </Card>
          {cancel.error && <ErrorNote error={cancel.error} />}
          {cancellable &&
            (confirm ? (
              <form
                className="flex flex-wrap items-end gap-2"
                onSubmit={(e) => {
                  e.preventDefault();
                  cancel.mutate();
                }}
              >
                <label className="flex flex-col gap-1">
                  <span className="font-medium">Why cancel</span>
                  <input value={reason} onChange={(e) => setReason(e.target.value)} required minLength={3} maxLength={500} className={inputClass} />
                </label>
                <button type="submit" className={danger} disabled={cancel.isPending}>
                  Cancel the order
                </button>
                <button type="button" className={secondary} onClick={() => setConfirm(false)}>
                  Keep it
                </button>
              </form>
            ) : (
              <button type="button" className={secondary} onClick={() => setConfirm(true)}>
                Cancel this order…
              </button>
            ))}
        </div>
      )}
    </>
  );
}
