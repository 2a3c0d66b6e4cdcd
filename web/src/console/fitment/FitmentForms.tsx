// The fitment editor's forms: add an application over a year range (picked from the
// vehicle lists), edit a row (only what changed is sent), remove one; each with a reason.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { adminApi } from "../auth/session";
import { Card, danger, ErrorNote, inputClass, primary, secondary } from "../ui/ui";

export type Row = components["schemas"]["FitmentRow"];
export type Change = components["schemas"]["FitmentChangeOut"];
type RowStatus = Row["status"];
export const STATUSES = ["published", "pending_review", "rejected"] as const;
const POSITIONS = ["Front", "Rear", "Left", "Right", "Front Left", "Front Right", "Rear Left", "Rear Right", "Upper", "Lower"];

const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

export function Field({ label, children, className = "" }: { label: string; children: ReactNode; className?: string }) {
  return (
    <label className={`flex flex-col gap-1 ${className}`}>
      <span className="font-medium">{label}</span>
      {children}
    </label>
  );
}

export function AddForm({ partId, onDone }: { partId: number; onDone: (change: Change) => void }) {
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

export function EditForm({ partId, row, onDone, onCancel }: { partId: number; row: Row; onDone: (change: Change) => void; onCancel: () => void }) {
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

export function RemoveForm({ partId, row, onDone, onCancel }: { partId: number; row: Row; onDone: (change: Change) => void; onCancel: () => void }) {
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
