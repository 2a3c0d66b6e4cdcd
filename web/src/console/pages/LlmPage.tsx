// The language models: what the router may choose (price, readiness, last hour) and what
// was spent, by model and by agent, over a chosen period (GET /api/admin/llm/*).
import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { unwrap } from "../../api/client";
import { adminApi } from "../auth/session";
import { ModelCatalogTable, UsageView } from "../llm/LlmTables";
import { Card, ErrorNote, inputClass, Loading, PageTitle } from "../ui/ui";

const PERIODS = [
  { hours: 24, label: "last 24 hours" },
  { hours: 168, label: "last 7 days" },
  { hours: 720, label: "last 30 days" },
  { hours: 2160, label: "last 90 days" },
] as const;

export function LlmPage() {
  const [params, setParams] = useSearchParams();
  const period = PERIODS.find((p) => String(p.hours) === params.get("hours")) ?? PERIODS[0];
  const models = useQuery({
    queryKey: ["console", "llm", "models"],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/llm/models")),
    refetchInterval: 60_000,
  });
  const usage = useQuery({
    queryKey: ["console", "llm", "usage", period.hours],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/llm/usage", { params: { query: { hours: period.hours } } })),
  });
  const noneReady = models.data !== undefined && !models.data.some((m) => m.ready && m.provider !== "offline");
  return (
    <>
      <PageTitle>Language models</PageTitle>
      <div className="flex flex-col gap-4">
        <Card>
          <h2 className="mb-2 font-semibold">Model catalog</h2>
          {noneReady && (
            <p className="mb-3 rounded-md bg-amber-50 p-3 text-amber-950" data-testid="offline-note">
              No provider has an API key, so every call is answered offline (by the built-in offline model, at no cost). Set a provider's key to use
              its models.
            </p>
          )}
          {models.isPending && <Loading what="the models" />}
          {models.error && <ErrorNote error={models.error} />}
          {models.data && <ModelCatalogTable models={models.data} />}
        </Card>
        <Card>
          <div className="mb-3 flex flex-wrap items-end justify-between gap-2">
            <h2 className="font-semibold">Usage</h2>
            <label className="flex flex-col gap-1">
              <span className="text-sm font-medium">Period</span>
              <select
                value={period.hours}
                className={inputClass}
                onChange={(e) => {
                  const next = new URLSearchParams(params);
                  next.set("hours", e.target.value);
                  setParams(next, { replace: true });
                }}
              >
                {PERIODS.map((p) => (
                  <option key={p.hours} value={p.hours}>
                    {p.label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {usage.isPending && <Loading what="usage" />}
          {usage.error && <ErrorNote error={usage.error} />}
          {usage.data && <UsageView usage={usage.data} period={period.label} />}
        </Card>
      </div>
    </>
  );
}
