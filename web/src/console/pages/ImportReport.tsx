// One import report (GET /api/admin/feeds/reports/{id}): its figures, the layout its
// file was read by and why, and every rejected row and warning, a page at a time (the
// offsets live in the address, so a page can be left and come back to). Supplier text
// (file names, reasons, raw rows) is shown as text.
import { useQuery } from "@tanstack/react-query";
import { useParams, useSearchParams } from "react-router";
import { unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { adminApi } from "../auth/session";
import { LayoutView, NotesTable } from "../feeds/FeedRun";
import { reviewLayout, type Layout } from "../feeds/report";
import { Card, ErrorNote, Loading, PageTitle, secondary, Status, TextLink, when } from "../ui/ui";

type ReportDetail = components["schemas"]["ReportDetail"];
type NotePage = components["schemas"]["NotePage"];
export const PAGE = 50;

function offsetOf(value: string | null): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function Figure({ label, value }: { label: string; value: number }) {
  return (
    <li className="rounded-md bg-slate-100 p-2">
      <span className="block text-sm text-slate-700">{label}</span>
      <strong className="text-xl">{value.toLocaleString()}</strong>
    </li>
  );
}

function NotesPage({ title, page, onOffset }: { title: string; page: NotePage; onOffset: (offset: number) => void }) {
  if (page.total === 0) return <p className="mt-4 text-slate-700">No {title.toLowerCase()}.</p>;
  const last = Math.min(page.offset + page.items.length, page.total);
  return (
    <section className="mt-4" aria-label={title}>
      <h3 className="font-semibold">
        {title} ({page.total.toLocaleString()})
      </h3>
      <p className="text-sm text-slate-700" role="status">
        {page.items.length > 0 ? `${(page.offset + 1).toLocaleString()}–${last.toLocaleString()} of ${page.total.toLocaleString()}` : "past the last one"}
      </p>
      <NotesTable
        title={title}
        where="Where"
        rows={page.items.map((r, i) => ({ key: page.offset + i, where: r.line !== null ? `line ${r.line}` : (r.element ?? "file"), reason: r.reason, raw: r.raw }))}
      />
      <div className="mt-2 flex gap-2">
        <button type="button" className={secondary} disabled={page.offset === 0} onClick={() => onOffset(Math.max(0, page.offset - page.limit))}>
          Previous {title.toLowerCase()}
        </button>
        <button type="button" className={secondary} disabled={last >= page.total} onClick={() => onOffset(page.offset + page.limit)}>
          Next {title.toLowerCase()}
        </button>
      </div>
    </section>
  );
}

/** The layout the file was read by, as the Feeds page shows layouts. */
function usedLayout(report: ReportDetail): Layout | null {
  if (report.layout) {
    const read = reviewLayout(report.layout, report.layout_reason);
    return read ? { ...read, origin: "used" } : null;
  }
  return null;
}

export function ImportReportPage() {
  const { reportId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const rejected = offsetOf(params.get("rejected"));
  const warned = offsetOf(params.get("warnings"));
  const report = useQuery({
    queryKey: ["console", "import-reports", reportId, rejected, warned],
    queryFn: async () =>
      unwrap(
        await adminApi.GET("/api/admin/feeds/reports/{report_id}", {
          params: { path: { report_id: Number(reportId) }, query: { limit: PAGE, rejected_offset: rejected, warning_offset: warned } },
        }),
      ),
    placeholderData: (previous) => previous,
  });
  const move = (key: string) => (offset: number) =>
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (offset > 0) next.set(key, String(offset));
      else next.delete(key);
      return next;
    });
  const r = report.data;
  const layout = r ? usedLayout(r) : null;
  return (
    <>
      <PageTitle>{`Import report ${reportId}`}</PageTitle>
      <p className="mb-4">
        <TextLink to="/console/feeds">Feeds</TextLink>
        {r && (
          <>
            {" · "}
            <TextLink to={`/console/suppliers/${r.supplier_id}`}>Supplier {r.display_name}</TextLink>
          </>
        )}
      </p>
      {report.isPending && <Loading what="the import report" />}
      {report.error && <ErrorNote error={report.error} />}
      {r && (
        <div className="flex flex-col gap-4">
          <Card>
            <h2 className="mb-1 font-semibold">{r.file_name}</h2>
            <p className="mb-3 text-sm text-slate-700">
              {r.format} · <Status value={r.status} /> · started {when(r.started_at)}
              {r.finished_at && ` · finished ${when(r.finished_at)}`}
            </p>
            {r.error && (
              <p role="alert" className="mb-3 rounded-md bg-red-50 p-3 whitespace-pre-wrap text-red-800">
                {r.error}
              </p>
            )}
            <ul className="grid grid-cols-2 gap-2 sm:grid-cols-4" aria-label="Import figures">
              <Figure label="Rows read" value={r.rows_read} />
              <Figure label="Offers stored" value={r.offers} />
              <Figure label="Parts created" value={r.parts_created} />
              <Figure label="Parts updated" value={r.parts_updated} />
              <Figure label="Fitment rows" value={r.fitments} />
              <Figure label="Rows rejected" value={r.rows_rejected} />
              <Figure label="Warnings" value={r.warnings} />
              {r.parts_merged > 0 && <Figure label="Parts merged" value={r.parts_merged} />}
            </ul>
            <NotesPage title="Rejected rows" page={r.rejections} onOffset={move("rejected")} />
            <NotesPage title="Warnings" page={r.warning_list} onOffset={move("warnings")} />
          </Card>
          {layout ? (
            <LayoutView layout={layout} />
          ) : (
            <Card>
              <h2 className="mb-1 font-semibold">Layout</h2>
              <p className="whitespace-pre-wrap">{r.layout_reason ?? "No layout was recorded for this import."}</p>
            </Card>
          )}
        </div>
      )}
    </>
  );
}
