import type { components } from "../../api/schema";
import { cents } from "./cart";

type T = components["schemas"]["Totals"];

/** Subtotal, refundable core deposits on their own line, shipping, tax, total. */
export function Totals({ totals }: { totals: T }) {
  const rows: [string, number][] = [
    ["Subtotal", totals.subtotal],
    ["Core deposits (refunded when you return the old parts)", totals.core_deposits],
    ["Shipping", totals.shipping],
    ["Estimated tax", totals.tax],
  ];
  return (
    <dl className="grid grid-cols-[1fr_auto] gap-x-4 gap-y-1" aria-label="Totals">
      {rows
        .filter(([label, amount]) => amount > 0 || !label.startsWith("Core"))
        .map(([label, amount]) => (
          <div key={label} className="contents">
            <dt>{label}</dt>
            <dd className="text-right">{cents(amount)}</dd>
          </div>
        ))}
      <dt className="border-t border-slate-300 pt-1 font-bold">Total</dt>
      <dd className="border-t border-slate-300 pt-1 text-right font-bold" data-testid="total">
        {cents(totals.total)}
      </dd>
    </dl>
  );
}
