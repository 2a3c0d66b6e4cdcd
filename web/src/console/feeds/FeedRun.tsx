// One onboarding run as the Feeds page follows it: its live status (polled while it
// runs), the review it waits on, the layout the agent used or proposed, and the import
// report once the file is stored. Supplier text (file names, reasons, raw rows) is text.
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { adminApi } from "../auth/session";
import { Card, Empty, ErrorNote, Loading, percent, Status, TextLink, when } from "../ui/ui";
import { finished, importReport, reviewLayout, runLayout, type ImportReport, type Layout, type RowNote } from "./report";

type Timeline = components["schemas"]["Timeline"];

/** The onboarding workflow's steps, in order (workflows/onboarding.py, version 2). */
const STEPS: Record<string, string> = {
  map_layout: "Reading the file's layout",
  normalize: "Deciding brands and part types",
  import: "Storing offers and parts",
  product_data: "Building product pages",
  fitment_review: "Weighing fitment",
  fitment: "Holding unsure fitment",
  seo: "Writing search titles",
  interchange: "Looking for interchange",
};

function useRun(workflowId: string) {
  return useQuery({
    queryKey: ["console", "workflows", "one", workflowId],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/workflows/{workflow_id}", { params: { path: { workflow_id: workflowId } } })),
    refetchInterval: (q) => (q.state.data && finished(q.state.data.status) ? false : 2_000),
  });
}

/** The open layout review this run waits on, if any. */
function useWaitingReview(run: Timeline | undefined) {
  const waiting = run?.status === "waiting";
  return useQuery({
    queryKey: ["console", "reviews", "feed-layout", run?.id],
    queryFn: async () => {
      const open = unwrap(await adminApi.GET("/api/admin/reviews", { params: { query: { status: "open", kind: "feed.layout_mapping", limit: 200 } } }));
      return open.find((r) => r.workflow_id === run?.id) ?? null;
    },
    enabled: waiting,
    refetchInterval: waiting ? 5_000 : false,
  });
}

function Figure({ label, value }: { label: string; value: number }) {
  return (
    <li className="rounded-md bg-slate-100 p-2">
      <span className="block text-sm text-slate-700">{label}</span>
      <strong className="text-xl">{value.toLocaleString()}</strong>
    </li>
  );
}

/** Rejected rows or warnings as a table: where in the file, why, and the raw row (as text). */
export function NotesTable({ title, where, rows }: { title: string; where: string; rows: { key: number; where: ReactNode; reason: string; raw: ReactNode }[] }) {
  return (
    <div className="overflow-x-auto" tabIndex={0} role="region" aria-label={`${title} (scrolls sideways)`}>
      <table className="mt-2 w-full text-left text-sm" aria-label={title}>
        <thead>
          <tr className="border-b border-slate-300">
            <th scope="col" className="py-1 pr-3">
              {where}
            </th>
            <th scope="col" className="py-1 pr-3">
              Reason
            </th>
            <th scope="col" className="py-1">
              Row
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} className="border-b border-slate-200 align-top">
              <td className="py-1 pr-3">{r.where}</td>
              <td className="py-1 pr-3 whitespace-pre-wrap">{r.reason}</td>
              <td className="py-1 font-mono break-all">{r.raw}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Notes({ title, rows, total }: { title: string; rows: RowNote[]; total: number }) {
  if (total === 0) return null;
  return (
    <div className="mt-4">
      <h3 className="font-semibold">
        {title} ({total.toLocaleString()}
        {rows.length < total ? `, the first ${rows.length} shown` : ""})
      </h3>
      <NotesTable title={title} where="Line" rows={rows.map((r, i) => ({ key: i, where: r.line ?? r.where, reason: r.reason, raw: r.raw }))} />
    </div>
  );
}

export function ReportView({ report }: { report: ImportReport }) {
  return (
    <Card>
      <h2 className="mb-1 font-semibold">Import report</h2>
      <p className="mb-3 text-sm text-slate-700">
        {report.file} from {report.supplier} · {report.format} · <Status value={report.status || "unknown"} />
      </p>
      {report.error && (
        <p role="alert" className="mb-3 rounded-md bg-red-50 p-3 whitespace-pre-wrap text-red-800">
          {report.error}
        </p>
      )}
      <ul className="grid grid-cols-2 gap-2 sm:grid-cols-4" aria-label="Import figures">
        <Figure label="Rows read" value={report.rowsRead} />
        <Figure label="Offers stored" value={report.offers} />
        <Figure label="Parts created" value={report.partsCreated} />
        <Figure label="Parts updated" value={report.partsUpdated} />
        <Figure label="Fitment rows" value={report.fitments} />
        <Figure label="Rows rejected" value={report.rowsRejected} />
        <Figure label="Warnings" value={report.warnings} />
        {report.partsMerged > 0 && <Figure label="Parts merged" value={report.partsMerged} />}
        {report.vehiclesProposed > 0 && <Figure label="Vehicles proposed" value={report.vehiclesProposed} />}
      </ul>
      <Notes title="Rejected rows" rows={report.rejections} total={report.rowsRejected} />
      <Notes title="Warnings" rows={report.warningList} total={report.warnings} />
      {report.reportId !== null && (
        <p className="mt-3">
          <TextLink to={`/console/feeds/reports/${report.reportId}`}>Open import report {report.reportId}</TextLink> for every rejected row and warning.
        </p>
      )}
    </Card>
  );
}

const ORIGIN: Record<Layout["origin"], string> = {
  used: "Layout the import read the file by",
  decided: "Layout a person decided",
  proposed: "Layout the agent proposes",
};

export function LayoutView({ layout }: { layout: Layout }) {
  return (
    <Card>
      <h2 className="mb-1 font-semibold">{ORIGIN[layout.origin]}</h2>
      {layout.reason && <p className="mb-2 text-sm whitespace-pre-wrap text-slate-700">{layout.reason}</p>}
      {layout.ours ? (
        <p>The file uses the store's own field names; no mapping was needed.</p>
      ) : (
        <>
          <p className="mb-2 text-sm">
            {layout.format ?? "?"}
            {layout.hasHeader === false && ", no header row"}
            {layout.brand && `, every row's brand: ${layout.brand}`}
            {layout.confidence !== null && ` · confidence ${percent(layout.confidence)}`}
            {layout.unsure.length > 0 && ` · unsure of ${layout.unsure.join(", ")}`}
          </p>
          <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Layout mapping (scrolls sideways)">
            <table className="w-full text-left text-sm" aria-label="Layout mapping">
              <thead>
                <tr className="border-b border-slate-300">
                  <th scope="col" className="py-1 pr-3">
                    Field
                  </th>
                  <th scope="col" className="py-1 pr-3">
                    Column in the file
                  </th>
                  <th scope="col" className="py-1 pr-3">
                    Confidence
                  </th>
                  <th scope="col" className="py-1">
                    Why
                  </th>
                </tr>
              </thead>
              <tbody>
                {layout.fields.map((f) => (
                  <tr key={f.field} className="border-b border-slate-200 align-top">
                    <th scope="row" className="py-1 pr-3 font-medium">
                      {f.field}
                    </th>
                    <td className="py-1 pr-3">{f.source}</td>
                    <td className="py-1 pr-3">{percent(f.confidence)}</td>
                    <td className="py-1">
                      {f.reason}
                      {f.samples.length > 0 && <span className="text-slate-700"> (e.g. {f.samples.slice(0, 3).join(", ")})</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {layout.notes.length > 0 && (
            <ul className="mt-2 list-disc pl-5 text-sm">
              {layout.notes.map((n, i) => (
                <li key={i}>{n}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </Card>
  );
}

function Progress({ run }: { run: Timeline }) {
  const done = new Map(run.steps.map((s) => [s.step_key, s]));
  return (
    <ol className="mt-3 flex flex-col gap-1 text-sm" aria-label="Steps">
      {Object.entries(STEPS).map(([key, label]) => {
        const step = done.get(key);
        return (
          <li key={key} className="flex flex-wrap items-center gap-2">
            <span className={step ? "" : "text-slate-600"}>{label}</span>
            {step && <Status value={step.status} />}
            {step && step.batches_total !== null && step.batches_total > 0 && (
              <>
                <progress max={step.batches_total} value={step.batches_done} aria-label={`${label}: batches done`} className="w-32" />
                <span>
                  {step.batches_done}/{step.batches_total} batches
                </span>
              </>
            )}
          </li>
        );
      })}
    </ol>
  );
}

/** The run's status, what it waits on, its layout and its report. */
export function FeedRun({ workflowId }: { workflowId: string }) {
  const run = useRun(workflowId);
  const review = useWaitingReview(run.data);
  if (run.isPending) return <Loading what="the import" />;
  if (run.error) return <ErrorNote error={run.error} />;
  const t = run.data;
  const report = importReport(t);
  const layout = runLayout(t) ?? (review.data ? reviewLayout(review.data.proposed, review.data.rationale) : null);
  const file = typeof (t.input as { path?: unknown } | null)?.path === "string" ? String((t.input as { path: string }).path).split("/").pop() : null;
  const supplier = typeof (t.input as { supplier?: unknown } | null)?.supplier === "string" ? String((t.input as { supplier: string }).supplier) : null;
  return (
    <div className="flex flex-col gap-4">
      <Card>
        <h2 className="font-semibold">
          Import {file ? `of ${file}` : ""} {supplier ? `for ${supplier}` : ""}
        </h2>
        <p role="status" className="mt-1" data-testid="feed-run-status">
          <Status value={t.status} />{" "}
          {t.status === "running" && `At: ${STEPS[t.current_step ?? ""] ?? t.current_step ?? "starting"}…`}
          {t.status === "waiting" && "Waiting for a person to confirm the file's layout."}
          {t.status === "completed" && "Finished."}
          {t.status === "failed" && "The import failed."}
          {t.status === "cancelled" && "Cancelled."}
        </p>
        <p className="text-sm text-slate-700">
          started {when(t.started_at)}
          {t.started_by && ` by ${t.started_by}`}
          {t.finished_at && ` · finished ${when(t.finished_at)}`} · <TextLink to={`/console/workflows/${t.id}`}>Full timeline</TextLink>
        </p>
        {t.error && <p className="mt-2 rounded-md bg-red-50 p-3 font-mono text-sm whitespace-pre-wrap text-red-900">{t.error}</p>}
        {t.status === "waiting" && review.data && (
          <p className="mt-2 rounded-md bg-amber-50 p-3 text-amber-950">
            {review.data.reason}.{" "}
            <TextLink to={`/console/reviews/${review.data.id}`}>Open review {review.data.id}</TextLink> to approve, edit or reject the layout; the import goes
            on once it is decided.
          </p>
        )}
        {!finished(t.status) && <Progress run={t} />}
      </Card>
      {report ? <ReportView report={report} /> : finished(t.status) ? <Empty>This run stored nothing: it ended before the import.</Empty> : null}
      {layout && <LayoutView layout={layout} />}
    </div>
  );
}
