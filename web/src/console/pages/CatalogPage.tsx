// Catalog: parts (the store's search), brands with their spellings, part types with
// their synonyms; each part links to its pricing and its fitment editor. Feed upload and
// supplier profiles wait for their endpoints (the CLI has `feeds import`, `feeds report`,
// `feeds profile`).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { unwrap } from "../../api/client";
import { money } from "../../lib/format";
import { adminApi } from "../auth/session";
import { Card, Empty, ErrorNote, inputClass, Loading, PageTitle, secondary, TextLink } from "../ui/ui";

const TABS = [
  { id: "parts", label: "Parts" },
  { id: "brands", label: "Brands" },
  { id: "types", label: "Part types" },
  { id: "feeds", label: "Feeds and suppliers" },
] as const;

function Parts() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const page = Math.max(1, Number(params.get("page") ?? "1") || 1);
  const parts = useQuery({
    queryKey: ["console", "parts", q, page],
    queryFn: async () => unwrap(await adminApi.GET("/api/parts", { params: { query: { per_page: 50, page, ...(q ? { q } : {}) } } })),
  });
  const go = (next: Record<string, string>) => setParams({ tab: "parts", ...(q ? { q } : {}), ...next });
  return (
    <>
      <form
        role="search"
        className="mb-3 flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          const value = String(new FormData(e.currentTarget).get("q") ?? "").trim();
          setParams(value ? { tab: "parts", q: value } : { tab: "parts" });
        }}
      >
        <label className="flex flex-col gap-1">
          <span className="font-medium">Words or part number</span>
          <input name="q" defaultValue={q} maxLength={200} className={inputClass} />
        </label>
        <button type="submit" className={secondary}>
          Search
        </button>
      </form>
      {parts.isPending && <Loading what="parts" />}
      {parts.error && <ErrorNote error={parts.error} />}
      {parts.data && (
        <>
          <p className="mb-2 text-sm text-slate-700">
            {parts.data.total} part(s); page {parts.data.page}.
          </p>
          <ul className="grid gap-2 md:grid-cols-2">
            {parts.data.items.map((p) => (
              <li key={p.id} className="rounded-md border border-slate-300 bg-white p-3">
                <p className="font-semibold">
                  <a href={`/parts/${p.id}`} className="text-blue-800 underline">
                    {p.title}
                  </a>
                </p>
                <p className="text-sm text-slate-700">
                  {p.brand} {p.part_number} · {p.part_type} · {p.fit_class} · {money(p.price) ?? "no price"} · {p.stock} in stock
                </p>
                <p className="text-sm">
                  <TextLink to={`/console/catalog/parts/${p.id}/pricing`}>Pricing of {p.part_number}</TextLink>
                  {" · "}
                  <TextLink to={`/console/catalog/parts/${p.id}/fitment`}>Fitment of {p.part_number}</TextLink>
                </p>
              </li>
            ))}
          </ul>
          <div className="mt-3 flex gap-2">
            <button type="button" className={secondary} disabled={page <= 1} onClick={() => go({ page: String(page - 1) })}>
              Previous page
            </button>
            <button type="button" className={secondary} disabled={page * 50 >= parts.data.total || page >= 100} onClick={() => go({ page: String(page + 1) })}>
              Next page
            </button>
          </div>
        </>
      )}
    </>
  );
}

function Brands() {
  const [search, setSearch] = useState("");
  const queries = useQueryClient();
  const brands = useQuery({
    queryKey: ["console", "brands", search],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/catalog/brands", { params: { query: { limit: 200, ...(search ? { search } : {}) } } })),
  });
  const alias = useMutation({
    mutationFn: async ({ id, spelling }: { id: number; spelling: string }) =>
      unwrap(await adminApi.POST("/api/admin/catalog/brands/{brand_id}/aliases", { params: { path: { brand_id: id } }, body: { alias: spelling } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["console", "brands"] }),
  });
  return (
    <>
      <label className="mb-3 flex max-w-sm flex-col gap-1">
        <span className="font-medium">Find a brand</span>
        <input value={search} onChange={(e) => setSearch(e.target.value)} maxLength={100} className={inputClass} />
      </label>
      {brands.isPending && <Loading what="brands" />}
      {brands.error && <ErrorNote error={brands.error} />}
      {alias.error && <ErrorNote error={alias.error} />}
      <ul className="grid gap-2 md:grid-cols-2">
        {brands.data?.map((b) => (
          <li key={b.id} className="rounded-md border border-slate-300 bg-white p-3">
            <p className="font-semibold">
              {b.name} {b.aaia_id && <span className="text-sm font-normal text-slate-700">AAIA {b.aaia_id}</span>}
            </p>
            <p className="text-sm text-slate-700">Spellings: {b.aliases.length ? b.aliases.join(", ") : "none"}</p>
            <form
              className="mt-2 flex flex-wrap items-end gap-2"
              onSubmit={(e) => {
                e.preventDefault();
                const form = e.currentTarget;
                const spelling = String(new FormData(form).get("alias") ?? "").trim();
                if (spelling) alias.mutate({ id: b.id, spelling }, { onSuccess: () => form.reset() });
              }}
            >
              <label className="flex flex-col gap-1 text-sm">
                <span>New spelling of {b.name}</span>
                <input name="alias" maxLength={200} className={inputClass} />
              </label>
              <button type="submit" className={secondary} disabled={alias.isPending}>
                Teach
              </button>
            </form>
          </li>
        ))}
      </ul>
    </>
  );
}

function PartTypes() {
  const types = useQuery({
    queryKey: ["console", "part-types"],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/catalog/part-types")),
  });
  return (
    <>
      {types.isPending && <Loading what="part types" />}
      {types.error && <ErrorNote error={types.error} />}
      <ul className="grid gap-2 md:grid-cols-2">
        {types.data?.map((t) => (
          <li key={t.id} className="rounded-md border border-slate-300 bg-white p-3">
            <p className="font-semibold">
              {t.name} <span className="text-sm font-normal text-slate-700">{t.category}</span>
            </p>
            <p className="text-sm">{t.description}</p>
            <p className="text-sm text-slate-700">
              {t.universal ? "universal" : `fits by ${t.fit_attributes.join(", ") || "vehicle"}`} · synonyms: {t.synonyms.join(", ") || "none"}
              {t.edited_by && ` · edited by ${t.edited_by}`}
            </p>
          </li>
        ))}
      </ul>
    </>
  );
}

function Feeds() {
  return (
    <Card>
      <h2 className="mb-2 font-semibold">Feed upload, import reports and supplier profiles</h2>
      <Empty>
        Not available in the console yet: the API has no endpoint to upload a feed, read an import report or list supplier profiles. Until it does, use
        the CLI: <code>automechanica feeds import FILE --supplier NAME</code>, <code>automechanica feeds report</code> and{" "}
        <code>automechanica feeds profile</code>. A layout the agent is unsure of waits in <a href="/console/reviews" className="text-blue-800 underline">Reviews</a>{" "}
        with the columns it weighed as evidence.
      </Empty>
    </Card>
  );
}

export function CatalogPage() {
  const [params, setParams] = useSearchParams();
  const tab = TABS.find((t) => t.id === params.get("tab"))?.id ?? "parts";
  return (
    <>
      <PageTitle>Catalog</PageTitle>
      <nav aria-label="Catalog sections" className="mb-4 overflow-x-auto">
        <ul className="flex gap-1">
          {TABS.map((t) => (
            <li key={t.id}>
              <button
                type="button"
                aria-current={t.id === tab ? "page" : undefined}
                onClick={() => setParams({ tab: t.id })}
                className={`min-h-11 rounded-md px-3 whitespace-nowrap ${t.id === tab ? "bg-slate-900 text-white" : "border border-slate-400 bg-white"}`}
              >
                {t.label}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      {tab === "parts" && <Parts />}
      {tab === "brands" && <Brands />}
      {tab === "types" && <PartTypes />}
      {tab === "feeds" && <Feeds />}
    </>
  );
}
