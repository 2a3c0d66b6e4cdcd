// The queue's charts (Recharts), in their own chunk: loaded when the dashboard shows them.
import { useEffect, useState } from "react";
import { useNavigate } from "react-router";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { components } from "../../api/schema";
import { Card, duration, Empty, TextLink } from "../ui/ui";

type QueueStats = components["schemas"]["QueueStats"];
const STATES = ["pending", "running", "failed", "dead"] as const;
const COLORS: Record<(typeof STATES)[number], string> = { pending: "#64748b", running: "#1d4ed8", failed: "#b45309", dead: "#b91c1c" };

interface Sample {
  at: string;
  perMinute: number;
  backlog: number;
}

/** Throughput and backlog sampled every 5 s while the dashboard is open (the API gives a snapshot). */
function useSamples(stats: QueueStats | undefined): Sample[] {
  const [samples, setSamples] = useState<Sample[]>([]);
  useEffect(() => {
    if (!stats) return;
    const backlog = (stats.counts.pending ?? 0) + (stats.counts.failed ?? 0);
    const sample = { at: new Date().toLocaleTimeString(), perMinute: Math.round(stats.completed_per_second_1m * 60), backlog };
    setSamples((old) => [...old.slice(-59), sample]);
  }, [stats]);
  return samples;
}

export default function QueueHealth({ stats }: { stats: QueueStats }) {
  const navigate = useNavigate();
  const samples = useSamples(stats);
  const kinds = stats.kinds.map((k) => ({ kind: k.kind, ...Object.fromEntries(STATES.map((s) => [s, k.counts[s] ?? 0])) }));
  return (
    <div className="grid gap-4 xl:grid-cols-2">
      <Card>
        <h3 className="font-semibold">Tasks by kind</h3>
        <p className="mb-2 text-sm text-slate-700">Select a dead bar (or a number in the table) for its dead letters.</p>
        {kinds.length === 0 ? (
          <Empty>The queue is empty.</Empty>
        ) : (
          <>
            <figure className="h-64" aria-label="Chart of tasks by kind and state; the table below has the numbers">
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={kinds} layout="vertical" margin={{ left: 24 }}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis type="number" allowDecimals={false} />
                  <YAxis type="category" dataKey="kind" width={120} tick={{ fontSize: 12 }} />
                  <Tooltip />
                  <Legend />
                  {STATES.map((s) => (
                    <Bar
                      key={s}
                      dataKey={s}
                      stackId="a"
                      fill={COLORS[s]}
                      isAnimationActive={false}
                      cursor={s === "dead" ? "pointer" : undefined}
                      onClick={(entry: { payload?: { kind?: string } }) => {
                        const kind = entry.payload?.kind;
                        if (s === "dead" && kind) navigate(`/console/dead-letters?kind=${encodeURIComponent(kind)}`);
                      }}
                    />
                  ))}
                </BarChart>
              </ResponsiveContainer>
            </figure>
            <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Tasks by kind (scrolls sideways)">
              <table className="mt-2 w-full text-sm" aria-label="Tasks by kind">
                <thead>
                  <tr className="text-left">
                    <th scope="col" className="p-1">
                      Kind
                    </th>
                    {STATES.map((s) => (
                      <th key={s} scope="col" className="p-1 text-right">
                        {s}
                      </th>
                    ))}
                    <th scope="col" className="p-1 text-right">
                      oldest due
                    </th>
                    <th scope="col" className="p-1 text-right">
                      done/min
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {stats.kinds.map((k) => (
                    <tr key={k.kind} className="border-t border-slate-200">
                      <th scope="row" className="p-1 text-left font-normal">
                        {k.kind}
                      </th>
                      {STATES.map((s) => (
                        <td key={s} className="p-1 text-right">
                          {s === "dead" && (k.counts.dead ?? 0) > 0 ? (
                            <TextLink to={`/console/dead-letters?kind=${encodeURIComponent(k.kind)}`}>{k.counts.dead}</TextLink>
                          ) : (
                            (k.counts[s] ?? 0)
                          )}
                        </td>
                      ))}
                      <td className="p-1 text-right">{duration(k.oldest_runnable_seconds)}</td>
                      <td className="p-1 text-right">{k.completed_last_minute}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Card>
      <Card>
        <h3 className="font-semibold">Throughput and backlog</h3>
        <p className="mb-2 text-sm text-slate-700">
          Sampled every 5 s while this page is open: tasks done per minute (last minute) and tasks waiting.
        </p>
        <figure className="h-64" aria-label="Chart of tasks done per minute and tasks waiting, sampled while this page is open">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={samples}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="at" tick={{ fontSize: 12 }} />
              <YAxis allowDecimals={false} />
              <Tooltip />
              <Legend />
              <Line type="monotone" dataKey="perMinute" name="done per minute" stroke="#1d4ed8" isAnimationActive={false} dot={false} />
              <Line type="monotone" dataKey="backlog" name="waiting" stroke="#b45309" isAnimationActive={false} dot={false} />
            </LineChart>
          </ResponsiveContainer>
        </figure>
        <p className="mt-2 text-sm" data-testid="throughput">
          {Math.round(stats.completed_per_second_1m * 60)} done in the last minute; {Math.round(stats.completed_per_second_5m * 300)} in the last 5 minutes.
          Table: {stats.table_live_rows} rows, {stats.table_dead_rows} dead tuples.
        </p>
      </Card>
    </div>
  );
}

