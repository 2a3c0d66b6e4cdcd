// Orders, revenue, margin, returns, wrong fits and LLM spend from
// GET /api/admin/analytics/dashboard, in the charts' chunk. Each chart has its
// numbers in a table beside it (readable without the picture, and linkable).
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { components } from "../../api/schema";
import { Card, Empty, percent } from "../ui/ui";

type Dashboard = components["schemas"]["Dashboard"];
const usd = (n: number) => `$${n.toFixed(2)}`;

function Table({ label, head, rows }: { label: string; head: string[]; rows: (string | number)[][] }) {
  return (
    <div className="overflow-x-auto" tabIndex={0} role="region" aria-label={`${label} (scrolls sideways)`}>
      <table className="mt-2 w-full text-sm" aria-label={label}>
        <thead>
          <tr className="text-left">
            {head.map((h, i) => (
              <th key={h} scope="col" className={`p-1 ${i ? "text-right" : ""}`}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            <tr key={r} className="border-t border-slate-200">
              {row.map((cell, i) =>
                i === 0 ? (
                  <th key={i} scope="row" className="p-1 text-left font-normal">
                    {cell}
                  </th>
                ) : (
                  <td key={i} className="p-1 text-right">
                    {cell}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function BusinessCharts({ data }: { data: Dashboard }) {
  const days = data.days.map((d) => ({ ...d, day: d.day.slice(5) }));
  const totals = data.days.reduce(
    (t, d) => ({ orders: t.orders + d.orders, revenue: t.revenue + d.revenue, margin: t.margin + d.margin, returns: t.returns + d.returns, llm: t.llm + d.llm_cost_usd }),
    { orders: 0, revenue: 0, margin: 0, returns: 0, llm: 0 },
  );
  const spend = data.llm_spend.map((s) => ({ name: `${s.agent} · ${s.model}`, cost: s.cost_usd, calls: s.calls }));
  return (
    <div className="flex flex-col gap-4">
      <ul className="grid grid-cols-2 gap-3 lg:grid-cols-5" aria-label="Store figures">
        {[
          ["Orders", String(totals.orders)],
          ["Revenue", usd(totals.revenue)],
          ["Margin", `${usd(totals.margin)}${totals.revenue ? ` (${percent(totals.margin / totals.revenue)})` : ""}`],
          ["Returns", String(totals.returns)],
          ["LLM spend", usd(totals.llm)],
        ].map(([label, value]) => (
          <li key={label} className="rounded-lg border border-slate-300 bg-white p-4">
            <span className="block text-sm text-slate-700">{label}</span>
            <span className="block text-2xl font-bold">{value}</span>
          </li>
        ))}
      </ul>
      <div className="grid gap-4 xl:grid-cols-2">
        <Card>
          <h3 className="font-semibold">Revenue and margin per day</h3>
          <figure className="h-64" aria-label="Chart of revenue and margin per day; the table has the numbers">
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={days}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="day" tick={{ fontSize: 12 }} />
                <YAxis />
                <Tooltip />
                <Legend />
                <Line dataKey="revenue" name="revenue ($)" stroke="#1d4ed8" isAnimationActive={false} dot={false} />
                <Line dataKey="margin" name="margin ($)" stroke="#15803d" isAnimationActive={false} dot={false} />
              </LineChart>
            </ResponsiveContainer>
          </figure>
          <details>
            <summary className="cursor-pointer text-sm">Per day</summary>
            <Table
              label="Per day"
              head={["Day", "Orders", "Revenue", "Margin", "Returns", "Wrong fit", "LLM"]}
              rows={data.days.map((d) => [d.day, d.orders, usd(d.revenue), usd(d.margin), d.returns, d.wrong_fit_returns, usd(d.llm_cost_usd)])}
            />
          </details>
        </Card>
        <Card>
          <h3 className="font-semibold">Returns by reason</h3>
          {data.returns_by_reason.length === 0 ? (
            <Empty>No returns in this period.</Empty>
          ) : (
            <>
              <figure className="h-56" aria-label="Chart of returns by reason; the table has the numbers">
                <ResponsiveContainer width="100%" height="100%">
                  <BarChart data={data.returns_by_reason}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis dataKey="reason" tick={{ fontSize: 12 }} />
                    <YAxis allowDecimals={false} />
                    <Tooltip />
                    <Bar dataKey="returns" fill="#b45309" isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
              </figure>
              <Table label="Returns by reason" head={["Reason", "Returns", "Rate"]} rows={data.returns_by_reason.map((r) => [r.reason, r.returns, percent(r.rate)])} />
            </>
          )}
        </Card>
        <Card>
          <h3 className="font-semibold">Wrong-fit rate by part type</h3>
          {data.wrong_fit_by_part_type.length === 0 ? (
            <Empty>No parts sold in this period.</Empty>
          ) : (
            <Table
              label="Wrong-fit rate by part type"
              head={["Part type", "Lines sold", "Wrong-fit returns", "Rate"]}
              rows={data.wrong_fit_by_part_type.map((w) => [w.name, w.lines_sold, w.wrong_fit_returns, percent(w.rate)])}
            />
          )}
        </Card>
        <Card>
          <h3 className="font-semibold">LLM spend by agent and model</h3>
          {spend.length === 0 ? (
            <Empty>No model calls in this period (the offline path costs nothing).</Empty>
          ) : (
            <>
              <figure className="h-56" aria-label="Chart of LLM spend by agent and model; the table has the numbers">
                <ResponsiveContainer width="100%" height="100%">
                  <BarChart data={spend} layout="vertical" margin={{ left: 24 }}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis type="number" />
                    <YAxis type="category" dataKey="name" width={160} tick={{ fontSize: 12 }} />
                    <Tooltip />
                    <Bar dataKey="cost" name="cost ($)" fill="#7c3aed" isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
              </figure>
              <Table
                label="LLM spend by agent and model"
                head={["Agent · model", "Calls", "Tokens in", "Tokens out", "Cost", "Unpriced"]}
                rows={data.llm_spend.map((s) => [`${s.agent} · ${s.model}`, s.calls, s.tokens_in, s.tokens_out, usd(s.cost_usd), s.unpriced_calls])}
              />
            </>
          )}
        </Card>
      </div>
    </div>
  );
}
