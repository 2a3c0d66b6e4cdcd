// One part's fitment as operators correct it: every row (any source, any status) with
// its vehicle, constraints, position, qualifiers, source and confidence, filtered by
// year/make/model/status; an application added over a year range, picked from the
// vehicle base; a row edited or rejected. Every change needs a reason, kept with it.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { useParams, useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { adminApi } from "../auth/session";
import { Card, danger, Empty, ErrorNote, inputClass, Loading, PageTitle, percent, primary, secondary, Status, TextLink, when } from "../ui/ui";

type Row = components["schemas"]["FitmentRowOut"];
type Change = components["schemas"]["FitmentChangeOut"];
type RowStatus = Row["status"];
const STATUSES = ["published", "pending_review", "rejected"] as const;
const PAGE = 100;
const POSITIONS = ["Front", "Rear", "Left", "Right", "Front Left", "Front Right", "Rear Left", "Rear Right", "Upper", "Lower"];

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

const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

function Field({ label, children, className = "" }: { label: string; children: ReactNode; className?: string }) {
  return (
    <label className={`flex flex-col gap-1 ${className}`}>
      <span className="font-medium">{label}</span>
      {children}
    </label>
  );
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

function AddForm({ partId, onDone }: { partId: number; onDone: (change: Change) => void }) {
  const [yearStart, setYearStart] = useState("");
  const [yearEnd, setYearEnd] = useState("");
  const [make, setMake] = useState("");
  const [model, setModel] = useState("");
  const [submodel, setSubmodel] = useState("");
  const [engine, setEngine] = useState("");
  const years = useQuery({ queryKey: ["vehicles", "years"], queryFn: async () => unwrap(await api.GET("/api/vehicles/years")) });
  const year = Number(yearStart);
  const makes = useQuery({
    queryKey: ["vehicles", "makes", year],
    enabled: year > 0,
    queryFn: async () => unwrap(await api.GET("/api/vehicles/makes", { params: { query: { year } } })),
  });
  const models = useQuery({
    queryKey: ["vehicles", "models", year, make],
    enabled: year > 0 && make !== "",
    queryFn: async () => unwrap(await api.GET("/api/vehicles/models", { params: { query: { year, make } } })),
  });
  const picked = year > 0 && make !== "" && model !== "";
  const submodels = useQuery({
    queryKey: ["vehicles", "submodels", year, make, model],
    enabled: picked,
    queryFn: async () => unwrap(await api.GET("/api/vehicles/submodels", { params: { query: { year, make, model } } })),
  });
  const engines = useQuery({
    queryKey: ["vehicles", "engines", year, make, model],
    enabled: picked,
    queryFn: async () => unwrap(await api.GET("/api/vehicles/engines", { params: { query: { year, make, model } } })),
  });
  const add = useMutation({
    mutationFn: async (body: components["schemas"]["NewFitment"]) =>
      unwrap(await adminApi.POST("/api/admin/catalog/parts/{part_id}/fitments", { params: { path: { part_id: partId } }, body })),
    onSuccess: onDone,
  });
  const engineOptions = (engines.data ?? []).filter((e) => e.engine_liters !== null);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const chosen = engineOptions[Number(engine)];
    const quantity = Number(form.get("quantity") || 0);
    add.mutate({
      year_start: year,
      year_end: yearEnd ? Number(yearEnd) : year,
      make,
      model,
      submodel: submodel || null,
      engine_liters: chosen ? Number(chosen.engine_liters) : null,
      engine_cylinders: chosen?.engine_cylinders ?? null,
      position: String(form.get("position") ?? "").trim() || null,
      quantity: quantity > 0 ? quantity : null,
      qualifiers: lines(String(form.get("qualifiers") ?? "")).map((text) => ({ text, verify: true })),
      notes: [],
      confidence: 1,
      status: "published",
      reason: String(form.get("reason") ?? "").trim(),
    });
  };
  return (
    <Card>
      <h2 className="mb-2 font-semibold">Add an application</h2>
      <p className="mb-3 text-sm text-slate-700">
        One row per year from the first to the last year. Every year must exist in the vehicle base, and a submodel or engine must exist in each year; the
        server refuses the whole request otherwise and names what is missing.
      </p>
      <form className="flex flex-col gap-3" onSubmit={submit} aria-label="Add an application">
        <div className="flex flex-wrap items-end gap-2">
          <Field label="First year">
            <select
              required
              value={yearStart}
              onChange={(e) => {
                setYearStart(e.target.value);
                setMake("");
                setModel("");
              }}
              className={inputClass}
            >
              <option value="">choose</option>
              {years.data?.map((y) => (
                <option key={y}>{y}</option>
              ))}
            </select>
          </Field>
          <Field label="Last year">
            <select value={yearEnd} onChange={(e) => setYearEnd(e.target.value)} className={inputClass}>
              <option value="">same year</option>
              {years.data
                ?.filter((y) => y > year)
                .map((y) => (
                  <option key={y}>{y}</option>
                ))}
            </select>
          </Field>
          <Field label="Make">
            <select
              required
              value={make}
              disabled={!makes.data}
              onChange={(e) => {
                setMake(e.target.value);
                setModel("");
              }}
              className={inputClass}
            >
              <option value="">choose</option>
              {makes.data?.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </Field>
          <Field label="Model">
            <select
              required
              value={model}
              disabled={!models.data}
              onChange={(e) => {
                setModel(e.target.value);
                setSubmodel("");
                setEngine("");
              }}
              className={inputClass}
            >
              <option value="">choose</option>
              {models.data?.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </Field>
          <Field label="Submodel (optional)">
            <select value={submodel} disabled={!submodels.data} onChange={(e) => setSubmodel(e.target.value)} className={inputClass}>
              <option value="">every submodel</option>
              {submodels.data?.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </Field>
          <Field label="Engine (optional)">
            <select value={engine} disabled={!engines.data} onChange={(e) => setEngine(e.target.value)} className={inputClass}>
              <option value="">every engine</option>
              {engineOptions.map((en, i) => (
                <option key={i} value={i}>
                  {en.engine_liters}L{en.engine_cylinders !== null ? ` ${en.engine_cylinders}cyl` : ""}
                  {en.fuel ? ` ${en.fuel}` : ""}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <div className="flex flex-wrap items-end gap-2">
          <Field label="Position">
            <input name="position" list="fitment-positions" maxLength={200} className={inputClass} />
          </Field>
          <datalist id="fitment-positions">
            {POSITIONS.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
          <Field label="Quantity">
            <input name="quantity" type="number" min={1} max={99} className={`${inputClass} w-24`} />
          </Field>
          <Field label="Qualifiers the buyer must check (one per line)" className="min-w-64 grow">
            <textarea name="qualifiers" rows={2} maxLength={2000} className={`${inputClass} py-2`} />
          </Field>
        </div>
        <Field label="Reason (kept with the change)">
          <input name="reason" required minLength={3} maxLength={500} className={inputClass} />
        </Field>
        {add.error && <ErrorNote error={add.error} />}
        <div>
          <button type="submit" className={primary} disabled={add.isPending}>
            {add.isPending ? "Adding…" : "Add rows"}
          </button>
        </div>
      </form>
    </Card>
  );
}

function EditForm({ partId, row, onDone, onCancel }: { partId: number; row: Row; onDone: (change: Change) => void; onCancel: () => void }) {
  const edit = useMutation({
    mutationFn: async (body: components["schemas"]["FitmentEdit"]) =>
      unwrap(
        await adminApi.PATCH("/api/admin/catalog/parts/{part_id}/fitments/{fitment_id}", {
          params: { path: { part_id: partId, fitment_id: row.id } },
          body,
        }),
      ),
    onSuccess: onDone,
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const body: components["schemas"]["FitmentEdit"] = { reason: String(form.get("reason") ?? "").trim() };
    const position = String(form.get("position") ?? "").trim() || null;
    if (position !== row.position) body.position = position;
    const quantity = Number(form.get("quantity") || 0) || null;
    if (quantity !== row.quantity) body.quantity = quantity;
    const confidence = Number(form.get("confidence")) / 100;
    if (Math.abs(confidence - row.confidence) > 0.0005) body.confidence = confidence;
    const status = String(form.get("status")) as RowStatus;
    if (status !== row.status) body.status = status as NonNullable<components["schemas"]["FitmentEdit"]["status"]>;
    const qualifiers = lines(String(form.get("qualifiers") ?? ""));
    if (qualifiers.join("\n") !== row.qualifiers.map((q) => String(q.text)).join("\n")) {
      body.qualifiers = qualifiers.map((text) => ({ text, verify: true }));
    }
    const notes = lines(String(form.get("notes") ?? ""));
    if (notes.join("\n") !== row.notes.join("\n")) body.notes = notes;
    edit.mutate(body);
  };
  return (
    <form className="flex flex-col gap-3" onSubmit={submit} aria-label={`Edit row ${row.id}`}>
      <div className="flex flex-wrap items-end gap-2">
        <Field label="Position">
          <input name="position" list="fitment-positions" maxLength={200} defaultValue={row.position ?? ""} className={inputClass} />
        </Field>
        <Field label="Quantity">
          <input name="quantity" type="number" min={1} max={99} defaultValue={row.quantity ?? ""} className={`${inputClass} w-24`} />
        </Field>
        <Field label="Confidence (%)">
          <input name="confidence" type="number" min={0} max={100} step={1} required defaultValue={Math.round(row.confidence * 100)} className={`${inputClass} w-24`} />
        </Field>
        <Field label="Status">
          <select name="status" defaultValue={row.status} className={inputClass}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace("_", " ")}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div className="flex flex-wrap gap-2">
        <Field label="Qualifiers (one per line)" className="min-w-64 grow">
          <textarea name="qualifiers" rows={2} maxLength={2000} defaultValue={row.qualifiers.map((q) => String(q.text)).join("\n")} className={`${inputClass} py-2`} />
        </Field>
        <Field label="Notes (one per line)" className="min-w-64 grow">
          <textarea name="notes" rows={2} maxLength={2000} defaultValue={row.notes.join("\n")} className={`${inputClass} py-2`} />
        </Field>
      </div>
      <Field label="Reason for the edit">
        <input name="reason" required minLength={3} maxLength={500} className={inputClass} />
      </Field>
      {edit.error && <ErrorNote error={edit.error} />}
      <div className="flex gap-2">
        <button type="submit" className={primary} disabled={edit.isPending}>
          Save row {row.id}
        </button>
        <button type="button" className={secondary} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function RemoveForm({ partId, row, onDone, onCancel }: { partId: number; row: Row; onDone: (change: Change) => void; onCancel: () => void }) {
  const [reason, setReason] = useState("");
  const remove = useMutation({
    mutationFn: async () =>
      unwrap(
        await adminApi.DELETE("/api/admin/catalog/parts/{part_id}/fitments/{fitment_id}", {
          params: { path: { part_id: partId, fitment_id: row.id }, query: { reason: reason.trim() } },
        }),
      ),
    onSuccess: onDone,
  });
  return (
    <form
      className="flex flex-wrap items-end gap-2"
      aria-label={`Remove row ${row.id}`}
      onSubmit={(e) => {
        e.preventDefault();
        remove.mutate();
      }}
    >
      <Field label="Why remove it">
        <input value={reason} onChange={(e) => setReason(e.target.value)} required minLength={3} maxLength={500} className={inputClass} />
      </Field>
      <button type="submit" className={danger} disabled={remove.isPending}>
        Remove row {row.id}
      </button>
      <button type="button" className={secondary} onClick={onCancel}>
        Keep it
      </button>
      {remove.error && (
        <div className="basis-full">
          <ErrorNote error={remove.error} />
        </div>
      )}
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
