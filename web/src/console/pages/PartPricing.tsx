// One part's price as the Pricing agent sees it: price, floor and ceiling, cost, MAP,
// MSRP, what the rule says now and why, competitors seen, and every change with its reason.
import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import { unwrap } from "../../api/client";
import { money } from "../../lib/format";
import { adminApi } from "../auth/session";
import { Card, Empty, ErrorNote, Loading, PageTitle, TextLink, when } from "../ui/ui";

export function PartPricingPage() {
  const { partId } = useParams();
  const id = Number(partId);
  const pricing = useQuery({
    queryKey: ["console", "pricing", id],
    enabled: Number.isInteger(id) && id > 0,
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/pricing/parts/{part_id}", { params: { path: { part_id: id } } })),
  });
  if (!Number.isInteger(id) || id <= 0) return <ErrorNote error={`"${partId}" is not a part id.`} />;
  const p = pricing.data;
  return (
    <>
      <PageTitle>{p ? `Pricing: ${p.brand} ${p.part_number}` : "Pricing"}</PageTitle>
      <p className="mb-4">
        <TextLink to="/console/catalog">Catalog</TextLink>
        {p && (
          <>
            {" · "}
            <a href={`/parts/${p.part_id}`} className="text-blue-800 underline">
              Product page
            </a>
          </>
        )}
      </p>
      {pricing.isPending && <Loading what="pricing" />}
      {pricing.error && <ErrorNote error={pricing.error} />}
      {p && (
        <div className="flex flex-col gap-4">
          <p>{p.title}</p>
          <ul className="grid grid-cols-2 gap-3 lg:grid-cols-6" aria-label="Price and bounds">
            {[
              ["Price", p.price],
              ["Floor", p.floor],
              ["Ceiling", p.ceiling],
              ["Cost", p.cost],
              ["MAP", p.map_price],
              ["MSRP", p.msrp],
            ].map(([label, value]) => (
              <li key={label} className="rounded-lg border border-slate-300 bg-white p-3">
                <span className="block text-sm text-slate-700">{label}</span>
                <span className="block text-xl font-bold">{money(value) ?? "—"}</span>
              </li>
            ))}
          </ul>
          <Card>
            <h2 className="mb-1 font-semibold">What the rule says now</h2>
            {p.rule ? (
              <p>
                <strong>{money(p.rule.price) ?? "no price"}</strong> ({p.rule.basis}): {p.rule.reason}
              </p>
            ) : (
              <Empty>No rule price: the part has no offer.</Empty>
            )}
          </Card>
          <Card>
            <h2 className="mb-2 font-semibold">Competitors</h2>
            {p.competitors.length === 0 ? (
              <Empty>No competitor price seen.</Empty>
            ) : (
              <ul className="flex flex-col gap-1">
                {p.competitors.map((c, i) => (
                  <li key={i}>
                    {c.competitor}: <strong>{money(c.price)}</strong> seen {when(c.seen_at)}
                    {c.source && ` (${c.source})`}
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <Card>
            <h2 className="mb-2 font-semibold">History</h2>
            {p.history.length === 0 ? (
              <Empty>The price was never set.</Empty>
            ) : (
              <ol className="flex flex-col gap-2">
                {p.history.map((h) => (
                  <li key={h.id}>
                    {when(h.created_at)}: {money(h.previous_price) ?? "none"} → <strong>{money(h.price)}</strong>
                    {h.agent && ` by ${h.agent}`}
                    {h.workflow_id && (
                      <>
                        {" "}
                        (<TextLink to={`/console/workflows/${h.workflow_id}`}>workflow</TextLink>)
                      </>
                    )}
                    {h.reason && <span className="block text-sm text-slate-700">{h.reason}</span>}
                  </li>
                ))}
              </ol>
            )}
          </Card>
        </div>
      )}
    </>
  );
}
