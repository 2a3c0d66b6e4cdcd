// The language models' tables: the catalog (provider, tier, context, capabilities, the
// price per million tokens as of its date, whether its provider is configured, its last
// hour) and the usage lines (by model or by agent). Costs are the API's decimal strings,
// shown as they are (no float rounding of money).
import type { ReactNode } from "react";
import type { components } from "../../api/schema";
import { Empty } from "../ui/ui";

export type CatalogModel = components["schemas"]["CatalogModel"];
export type Usage = components["schemas"]["Usage"];
export type UsageLine = components["schemas"]["UsageLine"];

const dollars = (value: string | null | undefined): string => (value === null || value === undefined ? "—" : `$${value}`);
const count = (n: number): string => n.toLocaleString("en-US");

function Head({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr className="border-b border-slate-300 text-left">
        {columns.map((c, i) => (
          <th key={c} scope="col" className={`px-2 py-1 ${i > 0 && /^(Calls|Errors|Tokens|Cost|Context)/.test(c) ? "text-right" : ""}`}>
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}

function Scroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="overflow-x-auto" tabIndex={0} role="region" aria-label={`${label} (scrolls sideways)`}>
      {children}
    </div>
  );
}

export function ModelCatalogTable({ models }: { models: CatalogModel[] }) {
  if (models.length === 0) return <Empty>The model catalog is empty.</Empty>;
  return (
    <Scroll label="Model catalog">
      <table className="w-full text-sm" aria-label="Model catalog">
        <Head columns={["Model", "Provider", "Tier", "Context", "Capabilities", "Price per 1M tokens", "Ready", "Last hour"]} />
        <tbody>
          {models.map((m) => (
            <tr key={m.name} className="border-b border-slate-200 align-top">
              <th scope="row" className="px-2 py-1 text-left font-medium">
                {m.name}
              </th>
              <td className="px-2 py-1">{m.provider}</td>
              <td className="px-2 py-1">{m.tier}</td>
              <td className="px-2 py-1 text-right">{m.context_window === null ? "—" : count(m.context_window)}</td>
              <td className="px-2 py-1">{m.capabilities.join(", ") || "—"}</td>
              <td className="px-2 py-1">
                {m.price ? (
                  <>
                    {dollars(m.price.input_per_million)} in · {dollars(m.price.output_per_million)} out
                    {m.price.cached_per_million !== null && ` · ${dollars(m.price.cached_per_million)} cached`}
                    <span className="block text-slate-700">as of {m.price.as_of}</span>
                  </>
                ) : (
                  "unknown"
                )}
              </td>
              <td className="px-2 py-1">
                {m.ready ? (
                  <span className="rounded bg-green-100 px-2 py-0.5 text-green-900">ready</span>
                ) : (
                  <span className="rounded bg-slate-200 px-2 py-0.5 text-slate-900">no key</span>
                )}
              </td>
              <td className="px-2 py-1">
                {m.last_hour ? (
                  <>
                    {count(m.last_hour.calls)} call(s), {count(m.last_hour.errors)} error(s)
                    {m.last_hour.last_error && <span className="block font-mono text-xs break-all text-red-900">{m.last_hour.last_error}</span>}
                  </>
                ) : (
                  "no calls"
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}

export function UsageTable({ label, keyName, lines }: { label: string; keyName: string; lines: UsageLine[] }) {
  return (
    <Scroll label={label}>
      <table className="w-full text-sm" aria-label={label}>
        <Head columns={[keyName, "Calls", "Errors", "Tokens in", "Tokens out", "Cost (USD)"]} />
        <tbody>
          {lines.map((l) => (
            <tr key={l.key} className="border-b border-slate-200">
              <th scope="row" className="px-2 py-1 text-left font-medium">
                {l.key}
              </th>
              <td className="px-2 py-1 text-right">{count(l.calls)}</td>
              <td className="px-2 py-1 text-right">{count(l.errors)}</td>
              <td className="px-2 py-1 text-right">{count(l.tokens_in)}</td>
              <td className="px-2 py-1 text-right">{count(l.tokens_out)}</td>
              <td className="px-2 py-1 text-right">
                {dollars(l.cost_usd)}
                {l.unpriced > 0 && <span className="block text-xs text-slate-700">+ {count(l.unpriced)} call(s) with no known price</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}

/** Usage by model and by agent, or the empty state when nothing was called. */
export function UsageView({ usage, period }: { usage: Usage; period: string }) {
  const calls = usage.by_model.reduce((n, l) => n + l.calls, 0);
  if (calls === 0) return <Empty>No model was called in the {period}.</Empty>;
  const unpriced = usage.by_model.reduce((n, l) => n + l.unpriced, 0);
  return (
    <div className="flex flex-col gap-4">
      <p>
        <strong>{count(calls)}</strong> call(s) since {new Date(usage.since).toLocaleString()}, known cost <strong>{dollars(usage.total_cost_usd)}</strong>
        {unpriced > 0 && ` (${count(unpriced)} call(s) with no known price are not counted)`}.
      </p>
      <div>
        <h3 className="mb-1 font-semibold">By model</h3>
        <UsageTable label="Usage by model" keyName="Model" lines={usage.by_model} />
      </div>
      <div>
        <h3 className="mb-1 font-semibold">By agent</h3>
        <UsageTable label="Usage by agent" keyName="Agent" lines={usage.by_agent} />
      </div>
    </div>
  );
}
