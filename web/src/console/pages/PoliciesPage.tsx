// Policies: when an agent's decision is applied on its own and when it waits for a
// person. Operators read them; admins change a threshold, limits or retries, with a reason.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { adminApi, type Me } from "../auth/session";
import { Card, ErrorNote, inputClass, Json, Loading, PageTitle, percent, primary, secondary } from "../ui/ui";

type Policy = components["schemas"]["Policy"];

function PolicyEditor({ policy, onDone }: { policy: Policy; onDone: () => void }) {
  const id = useId();
  const queries = useQueryClient();
  const [threshold, setThreshold] = useState(String(policy.threshold));
  const [attempts, setAttempts] = useState(String(policy.max_attempts ?? 3));
  const [limits, setLimits] = useState(JSON.stringify(policy.limits ?? {}, null, 2));
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: async (body: components["schemas"]["PolicyEdit"]) =>
      unwrap(await adminApi.PUT("/api/admin/policies/{decision_type}", { params: { path: { decision_type: policy.decision_type } }, body })),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ["console", "policies"] });
      onDone();
    },
  });
  function submit() {
    setProblem(null);
    const t = Number(threshold);
    const a = Number(attempts);
    if (!Number.isFinite(t) || t < 0 || t > 1) return setProblem("The threshold is a confidence between 0 and 1.");
    if (!Number.isInteger(a) || a < 1 || a > 20) return setProblem("Attempts is a whole number from 1 to 20.");
    let parsed: unknown;
    try {
      parsed = JSON.parse(limits);
    } catch (exc) {
      return setProblem(`Limits are not valid JSON: ${(exc as Error).message}.`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return setProblem('Limits are a JSON object, e.g. {"max_change_pct": 10}.');
    if (reason.trim().length < 3) return setProblem("Say why (at least 3 characters): it is kept with the change.");
    save.mutate({ threshold: t, max_attempts: a, limits: parsed as Record<string, unknown>, reason: reason.trim() });
  }
  return (
    <form
      className="mt-3 flex flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div className="flex flex-wrap gap-3">
        <label className="flex flex-col gap-1">
          <span className="font-medium">Threshold (0–1)</span>
          <input id={`${id}-t`} value={threshold} onChange={(e) => setThreshold(e.target.value)} inputMode="decimal" className={inputClass} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="font-medium">Attempts</span>
          <input value={attempts} onChange={(e) => setAttempts(e.target.value)} inputMode="numeric" className={inputClass} />
        </label>
      </div>
      <label className="flex flex-col gap-1">
        <span className="font-medium">Limits (JSON)</span>
        <textarea value={limits} onChange={(e) => setLimits(e.target.value)} rows={5} spellCheck={false} className={`${inputClass} py-2 font-mono text-sm`} />
      </label>
      <label className="flex flex-col gap-1">
        <span className="font-medium">Why</span>
        <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} className={inputClass} />
      </label>
      {(problem ?? save.error) && <ErrorNote error={problem ?? save.error} />}
      <div className="flex gap-2">
        <button type="submit" className={primary} disabled={save.isPending}>
          Save policy
        </button>
        <button type="button" className={secondary} onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function PoliciesPage({ user }: { user: Me }) {
  const [editing, setEditing] = useState<string | null>(null);
  const policies = useQuery({
    queryKey: ["console", "policies"],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/policies")),
  });
  return (
    <>
      <PageTitle>Policies</PageTitle>
      <p className="mb-4 text-slate-700">
        A decision at or above its threshold is applied on its own; below it, it waits in Reviews.
        {user.role !== "admin" && " Only admins change policies."}
      </p>
      {policies.isPending && <Loading what="policies" />}
      {policies.error && <ErrorNote error={policies.error} />}
      <ul className="grid gap-3 xl:grid-cols-2">
        {policies.data?.map((p) => (
          <li key={p.decision_type}>
            <Card>
              <h2 className="font-semibold">{p.decision_type}</h2>
              {p.description && <p className="text-sm">{p.description}</p>}
              <p className="text-sm text-slate-700">
                threshold {percent(p.threshold)} · {p.max_attempts ?? 3} attempts · version {p.version ?? 1}
              </p>
              {p.limits && Object.keys(p.limits).length > 0 && <Json value={p.limits} label={`${p.decision_type} limits`} />}
              {user.role === "admin" &&
                (editing === p.decision_type ? (
                  <PolicyEditor policy={p} onDone={() => setEditing(null)} />
                ) : (
                  <button type="button" className={`${secondary} mt-2`} onClick={() => setEditing(p.decision_type)}>
                    Edit {p.decision_type}
                  </button>
                ))}
            </Card>
          </li>
        ))}
      </ul>
    </>
  );
}
