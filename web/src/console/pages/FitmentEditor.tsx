// One part's fitment as operators correct it: every row (any source, any status) with
// its vehicle, constraints, position, qualifiers, source and confidence, filtered by
// year/make/model/status; the forms (fitment/FitmentForms.tsx) add an application over a
// year range, edit or reject a row, each with a reason; the part's fitment history.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useParams, useSearchParams } from "react-router";
import { unwrap } from "../../api/client";
import { adminApi } from "../auth/session";
import { AddForm, EditForm, Field, RemoveForm, STATUSES, type Change, type Row } from "../fitment/FitmentForms";
import { Card, Empty, ErrorNote, inputClass, Loading, PageTitle, percent, secondary, Status, TextLink, when } from "../ui/ui";

const PAGE = 100;

/** "2.0L 4cyl AWD EX sedan": the row's constraints, or "every configuration". */
export function configuration(r: Pick<Row, "submodel" | "engine_liters" | "engine_cylinders" | "engine_code" | "fuel" | "aspiration" | "drive" | "body" | "transmission">): string {
  const words = [
    r.submodel,
    r.engine_liters !== null ? `${r.engine_liters}L` : null,
    r.engine_cylinders !== null ? `${r.engine_cylinders}cyl` : null,
    r.engine_code,
    r.fuel,
    r.aspiration,
    r.drive,
    r.body,
    r.transmission,
  ].filter((w): w is string => Boolean(w));
  return words.join(" ") || "every configuration";
}

function Filters() {
  const [params, setParams] = useSearchParams();
  return (
    <form
      role="search"
      aria-label="Filter rows"
      className="mb-3 flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        const next: Record<string, string> = {};
        for (const key of ["year", "make", "model", "status"]) {
          const value = String(form.get(key) ?? "").trim();
          if (value) next[key] = value;
        }
        setParams(next);
      }}
    >
      <Field label="Year">
        <input name="year" type="number" min={1886} max={2100} defaultValue={params.get("year") ?? ""} className={`${inputClass} w-28`} />
      </Field>
      <Field label="Make">
        <input name="make" maxLength={64} defaultValue={params.get("make") ?? ""} className={inputClass} />
      </Field>
      <Field label="Model">
        <input name="model" maxLength={64} defaultValue={params.get("model") ?? ""} className={inputClass} />
      </Field>
      <Field label="Status">
        <select name="status" defaultValue={params.get("status") ?? ""} className={inputClass}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace("_", " ")}
            </option>
          ))}
        </select>
      </Field>
      <button type="submit" className={secondary}>
        Filter
      </button>
    </form>
  );
}

function History({ partId }: { partId: number }) {
  const history = useQuery({
    queryKey: ["console", "fitment", partId, "history"],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/catalog/parts/{part_id}/fitment-history", { params: { path: { part_id: partId } } })),
  });
  return (
    <Card>
      <h2 className="mb-2 font-semibold">History</h2>
      {history.isPending && <Loading what="the history" />}
      {history.error && <ErrorNote error={history.error} />}
      {history.data &&
        (history.data.length === 0 ? (
          <Empty>No person or agent has decided about this part's fitment yet.</Empty>
        ) : (
          <ol className="flex flex-col gap-2" aria-label="Fitment decisions, newest first">
            {history.data.map((h) => (
              <li key={h.id}>
                {when(h.created_at)} · <strong>{h.agent}</strong> · {h.decision_type} <Status value={h.outcome} /> (
                <TextLink to={`/console/events/${h.id}`}>event {h.id}</TextLink>)
                {h.rationale && <span className="block text-sm text-slate-700">{h.rationale}</span>}
              </li>
            ))}
          </ol>
        ))}
    </Card>
  );
}

function RowsTable({ rows, onEdit, onRemove }: { rows: Row[]; onEdit: (r: Row) => void; onRemove: (r: Row) => void }) {
  const head = ["Vehicle", "Configuration", "Position", "Qualifiers and notes", "Source", "Confidence", "Status", "Change"];
  return (
    <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Fitment rows (scrolls sideways)">
      <table className="w-full text-left text-sm" aria-label="Fitment rows">
        <thead>
          <tr className="border-b border-slate-300">
            {head.map((h) => (
              <th key={h} scope="col" className="px-2 py-1 font-semibold">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} className="border-b border-slate-200 align-top">
              <th scope="row" className="px-2 py-1 font-medium">
                {r.year} {r.make} {r.model}
                <span className="block text-xs font-normal text-slate-700">row {r.id}</span>
              </th>
              <td className="px-2 py-1">{configuration(r)}</td>
              <td className="px-2 py-1">
                {r.position ?? "—"}
                {r.quantity !== null && ` × ${r.quantity}`}
              </td>
              <td className="px-2 py-1">
                {r.qualifiers.length === 0 && r.notes.length === 0 && "—"}
                <ul>
                  {r.qualifiers.map((q, i) => (
                    <li key={`q${i}`}>
                      {q.verify ? "⚠ " : ""}
                      {String(q.text)}
                    </li>
                  ))}
                  {r.notes.map((n, i) => (
                    <li key={`n${i}`} className="text-slate-700">
                      {n}
                    </li>
                  ))}
                </ul>
              </td>
              <td className="px-2 py-1 break-all">
                {r.source}
                {r.supplier && <span className="block text-slate-700">{r.supplier}</span>}
              </td>
              <td className="px-2 py-1 text-right">{percent(r.confidence)}</td>
              <td className="px-2 py-1">
                <Status value={r.status} />
              </td>
              <td className="px-2 py-1">
                <div className="flex flex-wrap gap-1">
                  <button type="button" className={secondary} onClick={() => onEdit(r)} aria-label={`Edit row ${r.id}`}>
                    Edit
                  </button>
                  {r.status !== "rejected" && (
                    <button type="button" className={secondary} onClick={() => onRemove(r)} aria-label={`Remove row ${r.id}`}>
                      Remove
                    </button>
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function FitmentEditorPage() {
  const { partId } = useParams();
  const id = Number(partId);
  const valid = Number.isInteger(id) && id > 0;
  const [params, setParams] = useSearchParams();
  const queries = useQueryClient();
  const [acting, setActing] = useState<{ kind: "edit" | "remove"; row: Row } | null>(null);
  const [notice, setNotice] = useState<{ text: string; event: number } | null>(null);
  const year = Number(params.get("year")) || undefined;
  const status = STATUSES.find((s) => s === params.get("status"));
  const filters = {
    ...(year ? { year } : {}),
    ...(params.get("make") ? { make: params.get("make") as string } : {}),
    ...(params.get("model") ? { model: params.get("model") as string } : {}),
    ...(status ? { status } : {}),
  };
  const offset = Math.max(0, Number(params.get("offset")) || 0);
  const list = useQuery({
    queryKey: ["console", "fitment", id, filters, offset],
    enabled: valid,
    queryFn: async () =>
      unwrap(
        await adminApi.GET("/api/admin/catalog/parts/{part_id}/fitments", {
          params: { path: { part_id: id }, query: { ...filters, limit: PAGE, offset } },
        }),
      ),
  });
  if (!valid) return <ErrorNote error={`"${partId}" is not a part id.`} />;
  const done = (what: string) => (change: Change) => {
    setActing(null);
    setNotice({ text: `${what}: ${change.rows.length} row(s)${what === "Added" ? ` (${change.added} new)` : ""}; recorded as `, event: change.event_id });
    void queries.invalidateQueries({ queryKey: ["console", "fitment", id] });
  };
  const page = list.data;
  const part = page?.part;
  const page_to = (next: number) => {
    const copy = new URLSearchParams(params);
    if (next > 0) copy.set("offset", String(next));
    else copy.delete("offset");
    setParams(copy);
  };
  return (
    <>
      <PageTitle>{part ? `Fitment: ${part.brand} ${part.part_number}` : "Fitment"}</PageTitle>
      <p className="mb-4">
        <TextLink to="/console/catalog">Catalog</TextLink>
        {" · "}
        <TextLink to={`/console/catalog/parts/${id}/pricing`}>Pricing</TextLink>
        {" · "}
        <a href={`/parts/${id}`} className="text-blue-800 underline">
          Product page
        </a>
      </p>
      {part && (
        <p className="mb-2">
          {part.title} · {part.part_type} · {part.fit_class.replace("_", " ")}
        </p>
      )}
      {notice && (
        <p role="status" className="mb-3 rounded-md bg-green-50 p-3 text-green-900">
          {notice.text}
          <TextLink to={`/console/events/${notice.event}`}>event {notice.event}</TextLink>.
        </p>
      )}
      <div className="flex flex-col gap-4">
        <Card>
          <h2 className="mb-2 font-semibold">Rows</h2>
          {page && (
            <p className="mb-2 text-sm text-slate-700">
              {STATUSES.map((s) => `${page.counts[s] ?? 0} ${s.replace("_", " ")}`).join(" · ")}. Fit checks and the product page use published rows only.
            </p>
          )}
          <Filters />
          {list.isPending && <Loading what="fitment rows" />}
          {list.error && <ErrorNote error={list.error} />}
          {page &&
            (page.rows.length === 0 ? (
              <Empty>{Object.keys(filters).length ? "No row matches these filters." : "This part has no fitment rows yet."}</Empty>
            ) : (
              <>
                <p className="mb-2 text-sm text-slate-700">
                  Rows {offset + 1}–{offset + page.rows.length} of {page.total}.
                </p>
                <RowsTable rows={page.rows} onEdit={(row) => setActing({ kind: "edit", row })} onRemove={(row) => setActing({ kind: "remove", row })} />
                {page.total > PAGE && (
                  <div className="mt-3 flex gap-2">
                    <button type="button" className={secondary} disabled={offset === 0} onClick={() => page_to(Math.max(0, offset - PAGE))}>
                      Previous rows
                    </button>
                    <button type="button" className={secondary} disabled={offset + PAGE >= page.total} onClick={() => page_to(offset + PAGE)}>
                      Next rows
                    </button>
                  </div>
                )}
              </>
            ))}
        </Card>
        {acting && (
          <Card>
            <h2 className="mb-2 font-semibold">
              {acting.kind === "edit" ? "Edit" : "Remove"} row {acting.row.id}: {acting.row.year} {acting.row.make} {acting.row.model}, {configuration(acting.row)}
            </h2>
            {acting.kind === "edit" ? (
              <EditForm key={acting.row.id} partId={id} row={acting.row} onDone={done("Edited")} onCancel={() => setActing(null)} />
            ) : (
              <RemoveForm key={acting.row.id} partId={id} row={acting.row} onDone={done("Removed")} onCancel={() => setActing(null)} />
            )}
          </Card>
        )}
        {part && ["universal", "non_vehicle"].includes(part.fit_class) ? (
          <Empty>
            {part.brand} {part.part_number} is {part.fit_class === "universal" ? "universal: it fits any vehicle" : "not a vehicle part"}; fit checks do not read
            fitment rows for it, so none can be added.
          </Empty>
        ) : (
          <AddForm partId={id} onDone={done("Added")} />
        )}
        <History partId={id} />
      </div>
    </>
  );
}
