// Workflows: the runs, newest first; one run's timeline of steps with the decisions
// its agents made (confidence, model, cost) and the tasks that are stuck.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";
import { unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { adminApi } from "../auth/session";
import { Card, duration, Empty, ErrorNote, inputClass, Json, Loading, PageTitle, percent, primary, secondary, Status, TextLink, when } from "../ui/ui";

type Timeline = components["schemas"]["Timeline"];
type EventEntry = components["schemas"]["EventEntry"];
const STATES = ["running", "waiting", "completed", "failed", "cancelled"] as const;
type State = (typeof STATES)[number];

const seconds = (from: string, to: string | null) => (to ? (new Date(to).getTime() - new Date(from).getTime()) / 1000 : null);

/** Start a workflow by name (e.g. pricing_refresh); its timeline shows the progress. */
function StartWorkflow() {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [input, setInput] = useState("{}");
  const [problem, setProblem] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: async (body: { name: string; input: Record<string, unknown> }) => unwrap(await adminApi.POST("/api/admin/workflows", { body })),
    onSuccess: (started) => {
      void queries.invalidateQueries({ queryKey: ["console", "workflows"] });
      navigate(`/console/workflows/${started.id}`);
    },
  });
  if (!open)
    return (
      <button type="button" className={`${secondary} mb-4`} onClick={() => setOpen(true)}>
        Start a workflow…
      </button>
    );
  return (
    <Card className="mb-4">
      <form
        className="flex flex-col gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          setProblem(null);
          if (!/^[a-z][a-z0-9_.]*$/.test(name.trim())) return setProblem("A workflow's name is lower case, e.g. pricing_refresh.");
          let parsed: unknown;
          try {
            parsed = JSON.parse(input);
          } catch (exc) {
            return setProblem(`The input is not valid JSON: ${(exc as Error).message}.`);
          }
          if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return setProblem("The input is a JSON object, e.g. {}.");
          start.mutate({ name: name.trim(), input: parsed as Record<string, unknown> });
        }}
      >
        <label className="flex flex-col gap-1">
          <span className="font-medium">Workflow name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="pricing_refresh" maxLength={100} className={inputClass} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="font-medium">Input (JSON)</span>
          <textarea value={input} onChange={(e) => setInput(e.target.value)} rows={3} spellCheck={false} className={`${inputClass} py-2 font-mono text-sm`} />
        </label>
        {(problem ?? start.error) && <ErrorNote error={problem ?? start.error} />}
        <div className="flex gap-2">
          <button type="submit" className={primary} disabled={start.isPending}>
            Start
          </button>
          <button type="button" className={secondary} onClick={() => setOpen(false)}>
            Cancel
          </button>
        </div>
      </form>
    </Card>
  );
}

export function WorkflowsPage() {
  const [params, setParams] = useSearchParams();
  const kind = params.get("kind") ?? "";
  const status = params.get("status") ?? "";
  const state = (STATES as readonly string[]).includes(status) ? (status as State) : undefined;
  const runs = useQuery({
    queryKey: ["console", "workflows", kind, state],
    queryFn: async () =>
      unwrap(await adminApi.GET("/api/admin/workflows", { params: { query: { limit: 200, ...(kind ? { kind } : {}), ...(state ? { status: state } : {}) } } })),
    refetchInterval: 10_000,
  });
  return (
    <>
      <PageTitle>Workflows</PageTitle>
      <StartWorkflow />
      <form
        className="mb-4 flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          const next = new URLSearchParams();
          for (const name of ["kind", "status"]) {
            const value = String(form.get(name) ?? "").trim();
            if (value) next.set(name, value);
          }
          setParams(next);
        }}
      >
        <label className="flex flex-col gap-1">
          <span className="font-medium">Kind</span>
          <input name="kind" defaultValue={kind} className={inputClass} maxLength={100} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="font-medium">Status</span>
          <select name="status" defaultValue={state ?? ""} className={inputClass}>
            <option value="">any</option>
            {STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <button type="submit" className={secondary}>
          Filter
        </button>
      </form>
      {runs.isPending && <Loading what="workflows" />}
      {runs.error && <ErrorNote error={runs.error} />}
      {runs.data?.length === 0 && <Empty>No workflow matches.</Empty>}
      <ul className="flex flex-col gap-2">
        {runs.data?.map((w) => (
          <li key={w.id}>
            <Card>
              <p className="font-semibold">
                <TextLink to={`/console/workflows/${w.id}`}>
                  {w.kind} v{w.version}
                </TextLink>{" "}
                <Status value={w.status} />
              </p>
              <p className="text-sm text-slate-700">
                started {when(w.started_at)}
                {w.started_by && ` by ${w.started_by}`}
                {w.current_step && ` · at ${w.current_step}`}
                {w.finished_at && ` · took ${duration(seconds(w.started_at, w.finished_at))}`}
              </p>
              {(w.open_reviews > 0 || w.dead_tasks > 0) && (
                <p className="text-sm">
                  {w.open_reviews > 0 && <span className="mr-3 text-amber-900">{w.open_reviews} review(s) waiting</span>}
                  {w.dead_tasks > 0 && <span className="text-red-800">{w.dead_tasks} dead task(s)</span>}
                </p>
              )}
            </Card>
          </li>
        ))}
      </ul>
    </>
  );
}

function Decision({ event }: { event: EventEntry }) {
  return (
    <li className="rounded-md border border-slate-200 bg-slate-50 p-2 text-sm">
      <p>
        <strong>{event.agent}</strong> · {event.decision_type} <Status value={event.outcome} />
      </p>
      <p className="text-slate-700">
        confidence {percent(event.confidence)}
        {event.subject_kind && ` · ${event.subject_kind} ${event.subject_id ?? ""}`}
        {event.model_used && ` · ${event.model_used}`}
        {(event.tokens_in ?? event.tokens_out) !== null && ` · ${event.tokens_in ?? 0}+${event.tokens_out ?? 0} tokens`}
        {event.cost_usd !== null && ` · $${event.cost_usd}`}
        {event.latency_ms !== null && ` · ${Math.round(event.latency_ms)} ms`}
      </p>
      {event.rationale && <p className="mt-1 whitespace-pre-wrap">{event.rationale}</p>}
    </li>
  );
}

function Steps({ timeline }: { timeline: Timeline }) {
  const byStep = new Map<string, EventEntry[]>();
  for (const e of timeline.events) {
    const key = e.step_key ?? "";
    byStep.set(key, [...(byStep.get(key) ?? []), e]);
  }
  const loose = byStep.get("") ?? [];
  return (
    <ol className="relative flex flex-col gap-4 border-l-2 border-slate-300 pl-4" aria-label="Timeline">
      {timeline.steps.map((s) => (
        <li key={s.step_key} className="relative">
          <span aria-hidden="true" className="absolute top-1.5 -left-[1.4rem] h-3 w-3 rounded-full bg-slate-500" />
          <p className="font-semibold">
            {s.step_key} <Status value={s.status} />
          </p>
          <p className="text-sm text-slate-700">
            {when(s.started_at)}
            {s.finished_at && ` · ${duration(seconds(s.started_at, s.finished_at))}`}
            {s.batches_total !== null && ` · batches ${s.batches_done}/${s.batches_total}`}
          </p>
          {s.batches_total !== null && s.batches_total > 0 && (
            <progress className="w-48" max={s.batches_total} value={s.batches_done} aria-label={`${s.step_key} batches done`} />
          )}
          {(byStep.get(s.step_key) ?? []).length > 0 && (
            <ul className="mt-2 flex flex-col gap-1" aria-label={`Decisions in ${s.step_key}`}>
              {(byStep.get(s.step_key) ?? []).map((e) => (
                <Decision key={e.id} event={e} />
              ))}
            </ul>
          )}
          {s.result !== null && s.result !== undefined && (
            <details className="mt-1 text-sm">
              <summary className="cursor-pointer">Result</summary>
              <Json value={s.result} label={`${s.step_key} result`} />
            </details>
          )}
        </li>
      ))}
      {loose.length > 0 && (
        <li>
          <p className="font-semibold">Decisions outside a step</p>
          <ul className="mt-2 flex flex-col gap-1">
            {loose.map((e) => (
              <Decision key={e.id} event={e} />
            ))}
          </ul>
        </li>
      )}
    </ol>
  );
}

export function WorkflowPage() {
  const { workflowId = "" } = useParams();
  const queries = useQueryClient();
  const timeline = useQuery({
    queryKey: ["console", "workflows", "one", workflowId],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/workflows/{workflow_id}", { params: { path: { workflow_id: workflowId } } })),
    refetchInterval: (q) => (q.state.data && ["running", "waiting"].includes(q.state.data.status) ? 5_000 : false),
  });
  const cancel = useMutation({
    mutationFn: async () => unwrap(await adminApi.POST("/api/admin/workflows/{workflow_id}/cancel", { params: { path: { workflow_id: workflowId } } })),
    onSuccess: (data) => {
      queries.setQueryData(["console", "workflows", "one", workflowId], data);
      void queries.invalidateQueries({ queryKey: ["console", "workflows"] });
    },
  });
  const t = timeline.data;
  return (
    <>
      <PageTitle
        actions={
          t && ["running", "waiting"].includes(t.status) ? (
            <button type="button" className={secondary} disabled={cancel.isPending} onClick={() => cancel.mutate()}>
              Cancel this run
            </button>
          ) : undefined
        }
      >
        {t ? `${t.kind} v${t.version}` : "Workflow"}
      </PageTitle>
      <p className="mb-4">
        <TextLink to="/console/workflows">All workflows</TextLink>
      </p>
      {timeline.isPending && <Loading what="the timeline" />}
      {timeline.error && <ErrorNote error={timeline.error} />}
      {cancel.error && <ErrorNote error={cancel.error} />}
      {t && (
        <div className="flex flex-col gap-4">
          <Card>
            <p>
              <Status value={t.status} /> started {when(t.started_at)}
              {t.started_by && ` by ${t.started_by}`}
              {t.finished_at && ` · finished ${when(t.finished_at)}`}
            </p>
            <p>
              Cost <strong>${t.cost_usd}</strong> · {t.tokens} tokens · {t.events.length} decision(s)
            </p>
            {t.error && <p className="mt-1 font-mono text-sm whitespace-pre-wrap text-red-900">{t.error}</p>}
          </Card>
          {t.troubled_tasks.length > 0 && (
            <Card>
              <h2 className="mb-2 font-semibold">Stuck tasks</h2>
              <ul>
                {t.troubled_tasks.map((task) => (
                  <li key={task.id}>
                    <TextLink to={`/console/dead-letters/${task.id}`}>
                      Task {task.id} ({task.kind}
                      {task.step_key ? `, ${task.step_key}` : ""})
                    </TextLink>{" "}
                    <Status value={task.status} /> after {task.attempts} attempt(s): <span className="font-mono text-sm">{task.last_error ?? ""}</span>
                  </li>
                ))}
              </ul>
            </Card>
          )}
          <Card>
            <h2 className="mb-3 font-semibold">Steps</h2>
            {t.steps.length === 0 && t.events.length === 0 ? <Empty>No step has run yet.</Empty> : <Steps timeline={t} />}
          </Card>
          <div className="grid gap-4 lg:grid-cols-2">
            <Card>
              <h2 className="mb-2 font-semibold">Input</h2>
              <Json value={t.input} label="Input" />
            </Card>
            <Card>
              <h2 className="mb-2 font-semibold">Output</h2>
              <Json value={t.output} label="Output" />
            </Card>
          </div>
        </div>
      )}
    </>
  );
}
