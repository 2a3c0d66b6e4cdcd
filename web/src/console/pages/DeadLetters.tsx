// Dead letters: tasks that used up their attempts. Inspect one (payload, last error,
// traceback), replay it with a fresh set of attempts, or discard it.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";
import { unwrap } from "../../api/client";
import { adminApi } from "../auth/session";
import { Card, danger, Empty, ErrorNote, inputClass, Json, Loading, PageTitle, primary, secondary, Status, TextLink, when } from "../ui/ui";

export function DeadLettersPage() {
  const [params, setParams] = useSearchParams();
  const kind = params.get("kind") ?? "";
  const error = params.get("error") ?? "";
  const queries = useQueryClient();
  const dead = useQuery({
    queryKey: ["console", "dead", kind, error],
    queryFn: async () =>
      unwrap(await adminApi.GET("/api/admin/queue/dead", { params: { query: { limit: 200, ...(kind ? { kind } : {}), ...(error ? { error } : {}) } } })),
  });
  const replayAll = useMutation({
    mutationFn: async () =>
      unwrap(await adminApi.POST("/api/admin/queue/dead/replay", { body: { ...(kind ? { kind } : {}), ...(error ? { error_contains: error } : {}) } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["console"] }),
  });
  const filtered = kind || error;
  return (
    <>
      <PageTitle>Dead letters</PageTitle>
      <form
        className="mb-4 flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          const next = new URLSearchParams();
          for (const name of ["kind", "error"]) {
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
          <span className="font-medium">Error contains</span>
          <input name="error" defaultValue={error} className={inputClass} maxLength={200} />
        </label>
        <button type="submit" className={secondary}>
          Filter
        </button>
      </form>
      {dead.isPending && <Loading what="dead letters" />}
      {dead.error && <ErrorNote error={dead.error} />}
      {replayAll.data && (
        <p role="status" className="mb-3 rounded-md bg-green-50 p-3 text-green-900">
          Replayed {replayAll.data.ids.length} task(s): they are pending again.
        </p>
      )}
      {replayAll.error && <ErrorNote error={replayAll.error} />}
      {dead.data && dead.data.length === 0 && <Empty>{filtered ? "No dead letter matches." : "No dead letters: every task finished or is still being tried."}</Empty>}
      {dead.data && dead.data.length > 0 && (
        <>
          <button type="button" className={`${secondary} mb-3`} disabled={replayAll.isPending} onClick={() => replayAll.mutate()}>
            Replay all {dead.data.length}
            {filtered ? " matching" : ""}
          </button>
          <ul className="flex flex-col gap-2">
            {dead.data.map((d) => (
              <li key={d.id}>
                <Card>
                  <p className="font-semibold">
                    <TextLink to={`/console/dead-letters/${d.id}`}>
                      Task {d.id}: {d.kind}
                    </TextLink>
                  </p>
                  <p className="text-sm text-slate-700">
                    {d.attempts}/{d.max_attempts} attempts · died {when(d.finished_at)}
                    {d.workflow_id && (
                      <>
                        {" · "}
                        <TextLink to={`/console/workflows/${d.workflow_id}`}>workflow</TextLink>
                      </>
                    )}
                  </p>
                  {d.last_error && <p className="mt-1 font-mono text-sm break-words whitespace-pre-wrap text-red-900">{d.last_error}</p>}
                </Card>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

export function DeadLetterPage() {
  const { taskId } = useParams();
  const id = Number(taskId);
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const task = useQuery({
    queryKey: ["console", "task", id],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/queue/tasks/{task_id}", { params: { path: { task_id: id } } })),
    enabled: Number.isInteger(id) && id > 0,
  });
  const replay = useMutation({
    mutationFn: async () => unwrap(await adminApi.POST("/api/admin/queue/dead/{task_id}/replay", { params: { path: { task_id: id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["console"] }),
  });
  const discard = useMutation({
    mutationFn: async () => unwrap(await adminApi.DELETE("/api/admin/queue/dead/{task_id}", { params: { path: { task_id: id } } })),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ["console", "dead"] });
      navigate("/console/dead-letters");
    },
  });
  if (!Number.isInteger(id) || id <= 0) return <ErrorNote error={`"${taskId}" is not a task id.`} />;
  const t = task.data;
  return (
    <>
      <PageTitle>Task {id}</PageTitle>
      <p className="mb-4">
        <TextLink to="/console/dead-letters">All dead letters</TextLink>
      </p>
      {task.isPending && <Loading what="the task" />}
      {task.error && <ErrorNote error={task.error} />}
      {t && (
        <div className="flex flex-col gap-4">
          <Card>
            <p>
              <strong>{t.kind}</strong> <Status value={t.status} /> · {t.attempts}/{t.max_attempts} attempts · created {when(t.created_at)} · finished{" "}
              {when(t.finished_at)}
            </p>
            {t.workflow_id && (
              <p>
                Part of <TextLink to={`/console/workflows/${t.workflow_id}`}>workflow {t.workflow_id}</TextLink>
              </p>
            )}
            {t.idempotency_key && <p className="text-sm">Idempotency key: {t.idempotency_key}</p>}
          </Card>
          {replay.data && (
            <p role="status" className="rounded-md bg-green-50 p-3 text-green-900">
              Replayed: task {id} is pending again with a fresh set of attempts.
            </p>
          )}
          {(replay.error ?? discard.error) && <ErrorNote error={replay.error ?? discard.error} />}
          {t.status === "dead" && !replay.data && (
            <div className="flex flex-wrap gap-2">
              <button type="button" className={primary} disabled={replay.isPending} onClick={() => replay.mutate()}>
                Replay
              </button>
              {confirmDiscard ? (
                <>
                  <button type="button" className={danger} disabled={discard.isPending} onClick={() => discard.mutate()}>
                    Discard for good
                  </button>
                  <button type="button" className={secondary} onClick={() => setConfirmDiscard(false)}>
                    Keep it
                  </button>
                </>
              ) : (
                <button type="button" className={secondary} onClick={() => setConfirmDiscard(true)}>
                  Discard…
                </button>
              )}
            </div>
          )}
          <Card>
            <h2 className="mb-2 font-semibold">Last error</h2>
            <p className="font-mono text-sm break-words whitespace-pre-wrap">{t.last_error ?? "—"}</p>
            {t.last_traceback && (
              <details className="mt-2">
                <summary className="cursor-pointer">Traceback</summary>
                <pre tabIndex={0} aria-label="Traceback" className="mt-2 max-h-96 overflow-auto rounded-md bg-slate-100 p-3 text-sm">
                  {t.last_traceback}
                </pre>
              </details>
            )}
          </Card>
          <Card>
            <h2 className="mb-2 font-semibold">Payload</h2>
            <Json value={t.payload} label="Payload" />
          </Card>
          {t.result !== null && (
            <Card>
              <h2 className="mb-2 font-semibold">Result</h2>
              <Json value={t.result} label="Result" />
            </Card>
          )}
        </div>
      )}
    </>
  );
}
