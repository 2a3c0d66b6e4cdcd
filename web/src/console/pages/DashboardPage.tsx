// The console opens on what needs a person: reviews waiting (with age), dead letters,
// stuck workflows, then the queue's health. Business figures (orders, revenue, margin,
// returns, LLM spend) from the analytics endpoint, over 7, 30 or 90 days.
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useState } from "react";
import { Link } from "react-router";
import { unwrap } from "../../api/client";
import { adminApi } from "../auth/session";
import { useOpenReviews } from "../Shell";
import { age, duration, ErrorNote, Loading, PageTitle } from "../ui/ui";

const QueueHealth = lazy(() => import("./QueueHealth"));
const BusinessCharts = lazy(() => import("./BusinessCharts"));
const PERIODS = [7, 30, 90] as const;

function Figure({ label, value, to, tone = "" }: { label: string; value: string; to?: string; tone?: string }) {
  const body = (
    <>
      <span className="block text-sm text-slate-700">{label}</span>
      <span className={`block text-3xl font-bold ${tone}`}>{value}</span>
    </>
  );
  return (
    <li className="rounded-lg border border-slate-300 bg-white p-4">
      {to ? (
        <Link to={to} className="block hover:underline">
          {body}
        </Link>
      ) : (
        body
      )}
    </li>
  );
}

/** The nightly report's anomalies (arithmetic: more than 3σ from the week before) and summary. */
function LatestReport() {
  const report = useQuery({
    queryKey: ["console", "analytics", "latest"],
    queryFn: async () => {
      const { data, response } = await adminApi.GET("/api/admin/analytics/reports/latest");
      if (response.status === 404) return null; // no report yet
      return unwrap({ data, response });
    },
  });
  if (report.isPending) return <Loading what="the latest report" />;
  if (report.error) return <ErrorNote error={report.error} />;
  const r = report.data;
  if (!r) return <p className="text-slate-700">No analytics report yet: the nightly schedule writes the first one.</p>;
  return (
    <div className="rounded-lg border border-slate-300 bg-white p-4">
      <h3 className="font-semibold">
        Report for {new Date(r.period_start).toLocaleDateString()}
        {r.anomalies.length > 0 ? `: ${r.anomalies.length} anomal${r.anomalies.length === 1 ? "y" : "ies"}` : ": no anomaly"}
      </h3>
      {r.anomalies.length > 0 && (
        <ul className="mt-2 flex flex-col gap-1" aria-label="Anomalies">
          {r.anomalies.map((a, i) => (
            <li key={i} className="rounded-md bg-amber-50 p-2 text-amber-950">
              {typeof a.note === "string" ? a.note : typeof a.metric === "string" ? a.metric : JSON.stringify(a)}
            </li>
          ))}
        </ul>
      )}
      <p className="mt-2 whitespace-pre-wrap text-sm text-slate-800">{r.summary}</p>
    </div>
  );
}

export function DashboardPage() {
  const reviews = useOpenReviews();
  const stats = useQuery({
    queryKey: ["console", "queue", "stats"],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/queue/stats")),
    refetchInterval: 5_000,
  });
  const failed = useQuery({
    queryKey: ["console", "workflows", "", "failed"],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/workflows", { params: { query: { status: "failed", limit: 200 } } })),
  });
  const [days, setDays] = useState<(typeof PERIODS)[number]>(30);
  const business = useQuery({
    queryKey: ["console", "analytics", days],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/analytics/dashboard", { params: { query: { days } } })),
    refetchInterval: 60_000,
  });
  useEffect(() => {
    document.title = "Dashboard: AutoMechanica console";
  }, []);
  const open = reviews.data ?? [];
  const oldest = open[0];
  const dead = stats.data?.counts.dead ?? 0;
  const count = (n: number) => (n >= 200 ? "200+" : String(n));
  return (
    <>
      <PageTitle>Dashboard</PageTitle>
      <section aria-labelledby="needs-title" className="mb-6">
        <h2 id="needs-title" className="mb-2 text-lg font-semibold">
          Needs a person
        </h2>
        {(reviews.error ?? stats.error) && <ErrorNote error={reviews.error ?? stats.error} />}
        <ul className="grid grid-cols-2 gap-3 lg:grid-cols-4">
          <Figure label="Reviews waiting" value={reviews.data ? count(open.length) : "…"} to="/console/reviews" tone={open.length ? "text-amber-800" : ""} />
          <Figure label="Oldest review waiting" value={oldest ? age(oldest.created_at) : "—"} {...(oldest ? { to: `/console/reviews/${oldest.id}` } : {})} />
          <Figure label="Dead letters" value={stats.data ? String(dead) : "…"} to="/console/dead-letters" tone={dead ? "text-red-800" : ""} />
          <Figure label="Failed workflows" value={failed.data ? count(failed.data.length) : "…"} to="/console/workflows?status=failed" />
        </ul>
        <div className="mt-3">
          <LatestReport />
        </div>
      </section>
      <section aria-labelledby="queue-title" className="mb-6">
        <h2 id="queue-title" className="mb-2 text-lg font-semibold">
          Queue health
        </h2>
        {stats.isPending && <Loading what="queue stats" />}
        {stats.data && (
          <>
            <ul className="mb-4 grid grid-cols-2 gap-3 lg:grid-cols-4">
              <Figure label="Done per minute" value={String(Math.round(stats.data.completed_per_second_1m * 60))} />
              <Figure label="Backlog age (oldest due)" value={duration(stats.data.oldest_runnable_seconds)} />
              <Figure label="Pending" value={String(stats.data.counts.pending ?? 0)} />
              <Figure label="Running" value={String((stats.data.counts.running ?? 0) + (stats.data.counts.leased ?? 0))} />
            </ul>
            <Suspense fallback={<Loading what="the charts" />}>
              <QueueHealth stats={stats.data} />
            </Suspense>
          </>
        )}
      </section>
      <section aria-labelledby="business-title">
        <h2 id="business-title" className="mb-2 text-lg font-semibold">
          Orders, revenue, margin, returns and LLM spend
        </h2>
        <div role="group" aria-label="Period" className="mb-3 flex gap-1">
          {PERIODS.map((n) => (
            <button
              key={n}
              type="button"
              aria-pressed={n === days}
              onClick={() => setDays(n)}
              className={`min-h-11 rounded-md px-3 ${n === days ? "bg-slate-900 text-white" : "border border-slate-400 bg-white"}`}
            >
              {n} days
            </button>
          ))}
        </div>
        {business.isPending && <Loading what="the store's figures" />}
        {business.error && <ErrorNote error={business.error} />}
        {business.data && (
          <Suspense fallback={<Loading what="the charts" />}>
            <BusinessCharts data={business.data} />
          </Suspense>
        )}
      </section>
    </>
  );
}
