// Suppliers: each supplier's remembered file layout (which column gives each of our
// fields, and why we think so), its own brand and PIES cost price type, its imports;
// an operator corrects the profile with a reason, kept with who made the change.
// Supplier text (column names, brands, reasons, file names) is shown as text.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router";
import { unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { adminApi } from "../auth/session";
import { LayoutView } from "../feeds/FeedRun";
import { reviewLayout } from "../feeds/report";
import { Card, Empty, ErrorNote, inputClass, Loading, PageTitle, percent, primary, secondary, Status, TextLink, when } from "../ui/ui";

type SupplierRow = components["schemas"]["SupplierRow"];
type SupplierDetail = components["schemas"]["SupplierDetail"];
type ProfilePatch = components["schemas"]["ProfilePatch"];
type ReportRow = components["schemas"]["ReportRow"];
type CostType = SupplierDetail["cost_price_types"][number];

function layoutSummary(s: SupplierRow): string {
  if (!s.has_profile) return "no profile: files use our own names";
  const parts = [s.mapped_fields > 0 ? `${s.format ?? "?"}, ${s.mapped_fields} fields mapped` : "no mapping"];
  if (s.mapped_fields > 0) parts.push(s.confirmed ? "confirmed by a person" : "inferred");
  return parts.join(" · ");
}

export function SuppliersPage() {
  const list = useQuery({
    queryKey: ["console", "suppliers"],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/suppliers")),
  });
  return (
    <>
      <PageTitle>Suppliers</PageTitle>
      <p className="mb-4 text-slate-700">
        How each supplier's files are read, and how its last import went. <TextLink to="/console/feeds">Upload a feed</TextLink>
      </p>
      {list.isPending && <Loading what="suppliers" />}
      {list.error && <ErrorNote error={list.error} />}
      {list.data?.length === 0 && <Empty>No supplier yet: upload a feed to add one.</Empty>}
      <ul className="grid gap-3 xl:grid-cols-2" aria-label="Suppliers">
        {list.data?.map((s) => (
          <li key={s.id}>
            <Card>
              <h2 className="font-semibold">
                <TextLink to={`/console/suppliers/${s.id}`}>{s.display_name}</TextLink>
              </h2>
              <p className="text-sm">{layoutSummary(s)}</p>
              {s.proposal_waiting && <p className="text-sm text-amber-900">A proposed layout waits for a person.</p>}
              <p className="text-sm text-slate-700">
                brand: {s.brand ?? "from the file"} · PIES cost: {s.cost_price_type ?? "NET"} · {s.imports} import(s)
              </p>
              {s.last_import ? (
                <p className="mt-1 text-sm">
                  Last import <Status value={s.last_import.status} /> {when(s.last_import.started_at)}: {s.last_import.offers.toLocaleString()} offers,{" "}
                  {s.last_import.rows_rejected.toLocaleString()} rejected, {s.last_import.warnings.toLocaleString()} warnings ·{" "}
                  <TextLink to={`/console/feeds/reports/${s.last_import.report_id}`}>Report {s.last_import.report_id}</TextLink>
                </p>
              ) : (
                <p className="mt-1 text-sm text-slate-700">No import yet.</p>
              )}
            </Card>
          </li>
        ))}
      </ul>
    </>
  );
}

function MappingTable({ supplier }: { supplier: SupplierDetail }) {
  const mapping = supplier.profile?.mapping ?? [];
  if (mapping.length === 0) return <Empty>No mapping remembered: the next file's layout is read from its header and values.</Empty>;
  return (
    <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Field mapping (scrolls sideways)">
      <table className="w-full text-left text-sm" aria-label="Field mapping">
        <thead>
          <tr className="border-b border-slate-300">
            <th scope="col" className="py-1 pr-3">
              Column in the file
            </th>
            <th scope="col" className="py-1 pr-3">
              Our field
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
          {mapping.map((m) => (
            <tr key={m.field} className="border-b border-slate-200 align-top">
              <td className="py-1 pr-3">{m.source}</td>
              <th scope="row" className="py-1 pr-3 font-medium">
                {m.field}
              </th>
              <td className="py-1 pr-3">{percent(m.confidence)}</td>
              <td className="py-1">{m.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What the form changes, compared with the stored profile; only changes are sent. */
export function profilePatch(supplier: SupplierDetail, sources: Record<string, string>, brand: string, cost: CostType | "", reason: string): ProfilePatch {
  const before = Object.fromEntries((supplier.profile?.mapping ?? []).map((m) => [m.field, m.source]));
  const after = Object.fromEntries(
    Object.entries(sources)
      .map(([field, source]) => [field, source.trim()] as const)
      .filter(([, source]) => source !== ""),
  );
  const same = Object.keys(before).length === Object.keys(after).length && Object.entries(after).every(([f, s]) => before[f] === s);
  const patch: ProfilePatch = { reason: reason.trim() };
  if (!same) patch.mapping = after;
  if ((brand.trim() || null) !== (supplier.profile?.brand ?? null)) patch.brand = brand.trim() || null;
  if ((cost || null) !== (supplier.profile?.cost_price_type ?? null)) patch.cost_price_type = cost || null;
  return patch;
}

function ProfileEditor({ supplier, onDone }: { supplier: SupplierDetail; onDone: () => void }) {
  const queries = useQueryClient();
  const current = Object.fromEntries((supplier.profile?.mapping ?? []).map((m) => [m.field, m.source]));
  const [sources, setSources] = useState<Record<string, string>>(() => Object.fromEntries(supplier.fields.map((f) => [f, current[f] ?? ""])));
  const [brand, setBrand] = useState(supplier.profile?.brand ?? "");
  // A supplier with no column layout yet (PIES/ACES or our own names so far) says which
  // kind of file the mapping is for; otherwise the stored format (or the proposal's) holds.
  const needsFormat = !supplier.profile?.format && !supplier.proposal;
  const [format, setFormat] = useState<"csv" | "jsonl">("csv");
  const known = (value: string | null | undefined): CostType | "" => supplier.cost_price_types.find((t) => t === value) ?? "";
  const [cost, setCost] = useState<CostType | "">(known(supplier.profile?.cost_price_type));
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: async (body: ProfilePatch) =>
      unwrap(await adminApi.PATCH("/api/admin/suppliers/{supplier_id}/profile", { params: { path: { supplier_id: supplier.id } }, body })),
    onSuccess: async (saved) => {
      queries.setQueryData(["console", "suppliers", "one", String(supplier.id)], saved);
      await queries.invalidateQueries({ queryKey: ["console", "suppliers"], exact: true });
      onDone();
    },
  });
  function submit() {
    setProblem(null);
    if (reason.trim().length < 3) return setProblem("Say why (at least 3 characters): it is kept with the change.");
    const patch = profilePatch(supplier, sources, brand, cost, reason);
    if (needsFormat && patch.mapping && Object.keys(patch.mapping).length > 0) patch.format = format;
    if (Object.keys(patch).length === 1) return setProblem("Nothing changed: edit a column, the brand or the cost price type first.");
    save.mutate(patch);
  }
  return (
    <form
      className="mt-3 flex flex-col gap-3"
      aria-label="Edit the profile"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <fieldset className="grid gap-2 sm:grid-cols-2 lg:grid-cols-3">
        <legend className="mb-1 font-medium">Column in the file for each of our fields (blank: not in the file)</legend>
        {supplier.fields.map((field) => (
          <label key={field} className="flex flex-col gap-1 text-sm">
            <span>
              {field}
              {supplier.required_fields.includes(field) && <span className="text-slate-700"> (needed{field === "brand" ? " unless the own brand is set" : ""})</span>}
            </span>
            <input value={sources[field] ?? ""} onChange={(e) => setSources({ ...sources, [field]: e.target.value })} maxLength={200} className={inputClass} />
          </label>
        ))}
      </fieldset>
      <div className="flex flex-wrap gap-3">
        {needsFormat && (
          <label className="flex flex-col gap-1">
            <span className="font-medium">The mapping is for</span>
            <select value={format} onChange={(e) => setFormat(e.target.value === "jsonl" ? "jsonl" : "csv")} className={inputClass}>
              <option value="csv">CSV files</option>
              <option value="jsonl">JSON lines files</option>
            </select>
          </label>
        )}
        <label className="flex flex-col gap-1">
          <span className="font-medium">Own brand (files without a brand column)</span>
          <input value={brand} onChange={(e) => setBrand(e.target.value)} maxLength={100} className={inputClass} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="font-medium">PIES cost price type</span>
          <select value={cost} onChange={(e) => setCost(known(e.target.value))} className={inputClass}>
            <option value="">NET (else the lowest)</option>
            {supplier.cost_price_types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="flex flex-col gap-1">
        <span className="font-medium">Why</span>
        <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} className={inputClass} />
      </label>
      {(problem ?? save.error) && <ErrorNote error={problem ?? save.error} />}
      <div className="flex gap-2">
        <button type="submit" className={primary} disabled={save.isPending}>
          Save profile
        </button>
        <button type="button" className={secondary} onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function ImportsList({ reports }: { reports: ReportRow[] }) {
  if (reports.length === 0) return <Empty>No import yet.</Empty>;
  return (
    <ul className="flex flex-col gap-2" aria-label="Recent imports">
      {reports.map((r) => (
        <li key={r.id}>
          <TextLink to={`/console/feeds/reports/${r.id}`}>
            {r.file_name} ({when(r.started_at)})
          </TextLink>{" "}
          <Status value={r.status} />
          <span className="block text-sm text-slate-700">
            {r.rows_read.toLocaleString()} rows read · {r.offers.toLocaleString()} offers · {r.rows_rejected.toLocaleString()} rejected ·{" "}
            {r.warnings.toLocaleString()} warnings
          </span>
        </li>
      ))}
    </ul>
  );
}

const IMPORTS_PAGE = 10;

/** Every import of one supplier, newest first, a page at a time. */
function SupplierImports({ supplierId }: { supplierId: number }) {
  const [offset, setOffset] = useState(0);
  const page = useQuery({
    queryKey: ["console", "import-reports", "supplier", supplierId, offset],
    queryFn: async () =>
      unwrap(await adminApi.GET("/api/admin/feeds/reports", { params: { query: { supplier_id: supplierId, limit: IMPORTS_PAGE, offset } } })),
    placeholderData: (previous) => previous,
  });
  if (page.isPending) return <Loading what="imports" />;
  if (page.error) return <ErrorNote error={page.error} />;
  const { total, items } = page.data;
  return (
    <>
      <ImportsList reports={items} />
      {total > IMPORTS_PAGE && (
        <div className="mt-2 flex flex-wrap items-center gap-2">
          <span className="text-sm text-slate-700" role="status">
            {offset + 1}–{offset + items.length} of {total}
          </span>
          <button type="button" className={secondary} disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - IMPORTS_PAGE))}>
            Newer imports
          </button>
          <button type="button" className={secondary} disabled={offset + items.length >= total} onClick={() => setOffset(offset + IMPORTS_PAGE)}>
            Older imports
          </button>
        </div>
      )}
    </>
  );
}

export function SupplierPage() {
  const { supplierId = "" } = useParams();
  const [editing, setEditing] = useState(false);
  const one = useQuery({
    queryKey: ["console", "suppliers", "one", supplierId],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/suppliers/{supplier_id}", { params: { path: { supplier_id: Number(supplierId) } } })),
  });
  const s = one.data;
  const proposal = s?.proposal ? reviewLayout(s.proposal, "Proposed from a file's header and values; it waits for a person in Reviews.") : null;
  return (
    <>
      <PageTitle>{s ? `Supplier ${s.display_name}` : "Supplier"}</PageTitle>
      <p className="mb-4">
        <TextLink to="/console/suppliers">Suppliers</TextLink>
      </p>
      {one.isPending && <Loading what="the supplier" />}
      {one.error && <ErrorNote error={one.error} />}
      {s && (
        <div className="flex flex-col gap-4">
          <Card>
            <h2 className="mb-1 font-semibold">How its files are read</h2>
            <p className="mb-2 text-sm text-slate-700">
              {s.profile
                ? `${s.profile.format ?? "no CSV/JSON lines layout"}${s.profile.has_header ? "" : ", no header row"} · ${s.profile.confirmed ? "confirmed by a person" : "inferred, not confirmed"} · own brand: ${s.profile.brand ?? "none (from the file)"} · PIES cost: ${s.profile.cost_price_type ?? "NET (else the lowest)"}`
                : "No profile: its files so far used our own field names."}
            </p>
            <MappingTable supplier={s} />
            {editing ? (
              <ProfileEditor supplier={s} onDone={() => setEditing(false)} />
            ) : (
              <button type="button" className={`${secondary} mt-3`} onClick={() => setEditing(true)}>
                Edit the profile
              </button>
            )}
          </Card>
          {s.open_reviews.length > 0 && (
            <p className="rounded-md bg-amber-50 p-3 text-amber-950" data-testid="open-layout-reviews">
              A file's import waits on its layout:{" "}
              {s.open_reviews.map((id, i) => (
                <span key={id}>
                  {i > 0 && ", "}
                  <TextLink to={`/console/reviews/${id}`}>review {id}</TextLink>
                </span>
              ))}
              . Deciding it goes on with that import, and an approved or edited layout becomes this profile's mapping.
            </p>
          )}
          {proposal && <LayoutView layout={proposal} />}
          <Card>
            <h2 className="mb-2 font-semibold">Imports</h2>
            <SupplierImports supplierId={s.id} />
          </Card>
          <Card>
            <h2 className="mb-2 font-semibold">Profile changes</h2>
            {s.changes.length === 0 ? (
              <Empty>Nobody has changed this profile by hand.</Empty>
            ) : (
              <ul className="flex flex-col gap-2" aria-label="Profile changes">
                {s.changes.map((c, i) => (
                  <li key={i}>
                    <span className="font-medium">{c.changed_by}</span> {when(c.changed_at)}: <span className="whitespace-pre-wrap">{c.reason}</span>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </div>
      )}
    </>
  );
}
