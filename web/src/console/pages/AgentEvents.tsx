// Agent events: past decisions found by meaning ("price held under MAP") or listed newest
// first, narrowed by agent, decision type, outcome and date; one event in full. Events the
// embedding worker has not reached yet are counted, so a short list never looks complete.
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useParams, useSearchParams } from "react-router";
import { unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { adminApi } from "../auth/session";
import { Card, Empty, ErrorNote, inputClass, Json, Loading, PageTitle, percent, primary, secondary, Status, TextLink, when } from "../ui/ui";

type Hit = components["schemas"]["AgentEventHit"];
type Page = components["schemas"]["AgentEventPage"];
type Backlog = components["schemas"]["EventEmbeddingBacklog"];
const OUTCOMES = ["accepted", "held", "rejected", "retried", "failed", "refused"] as const;
type Outcome = (typeof OUTCOMES)[number];
const FIELDS = ["q", "agent", "decision_type", "outcome", "since"] as const;

/** The date field's day, from local midnight, as the API wants it (with a time zone). */
export function sinceParam(day: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const at = new Date(`${day}T00:00:00`);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

function BacklogNote({ backlog, searching }: { backlog: Backlog; searching: boolean }) {
  if (backlog.waiting === 0 && backlog.dead === 0) return null;
  return (
    <div role="status" data-testid="backlog" className="mb-4 rounded-md bg-amber-50 p-3 text-amber-950">
      {backlog.waiting > 0 && (
        <p>
          {backlog.waiting} matching event(s) are waiting to be embedded
          {searching ? " and cannot be found by meaning yet" : ""}; the embedding worker will reach them (
          <code>automechanica worker --kinds embedding</code>).
        </p>
      )}
      {backlog.dead > 0 && (
        <p>
          {backlog.dead} matching event(s) could not be embedded and will not be found by meaning until replayed (
          <code>automechanica memory replay --kind event</code>).
        </p>
      )}
    </div>
  );
}

function EventCard({ hit }: { hit: Hit }) {
  return (
    <Card>
      <p className="flex flex-wrap items-center gap-2">
        <TextLink to={`/console/events/${hit.id}`}>
          <strong>{hit.agent}</strong> · {hit.decision_type}
        </TextLink>
        <Status value={hit.outcome} />
        {hit.similarity !== null && (
          <span className="rounded bg-blue-100 px-2 py-0.5 text-sm font-medium text-blue-950" data-testid="similarity">
            similarity {hit.similarity.toFixed(2)}
          </span>
        )}
        {!hit.searchable && <span className="rounded bg-slate-200 px-2 py-0.5 text-sm">not embedded yet</span>}
      </p>
      <p className="text-sm text-slate-700">
        {when(hit.created_at)} · confidence {percent(hit.confidence)}
        {hit.cost_usd !== null && ` · $${hit.cost_usd}`}
        {hit.workflow_id && (
          <>
            {" · "}
            <TextLink to={`/console/workflows/${hit.workflow_id}`}>workflow timeline</TextLink>
          </>
        )}
      </p>
      {hit.rationale && <p className="mt-1 whitespace-pre-wrap">{hit.rationale}</p>}
    </Card>
  );
}

function Filters() {
  const [params, setParams] = useSearchParams();
  const outcome = params.get("outcome") ?? "";
  return (
    <form
      role="search"
      aria-label="Agent events"
      className="mb-4 flex flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        const next = new URLSearchParams();
        for (const name of FIELDS) {
          const value = String(form.get(name) ?? "").trim();
          if (value) next.set(name, value);
        }
        setParams(next);
      }}
    >
      <label className="flex flex-col gap-1">
        <span className="font-medium">Search by meaning</span>
        <input name="q" type="search" defaultValue={params.get("q") ?? ""} maxLength={500} placeholder="price held below MAP" className={inputClass} />
      </label>
      <div className="flex flex-wrap items-end gap-2">
        <label className="flex flex-col gap-1">
          <span className="font-medium">Agent</span>
          <input name="agent" defaultValue={params.get("agent") ?? ""} maxLength={100} className={inputClass} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="font-medium">Decision type</span>
          <input name="decision_type" defaultValue={params.get("decision_type") ?? ""} maxLength={100} className={inputClass} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="font-medium">Outcome</span>
          <select name="outcome" defaultValue={(OUTCOMES as readonly string[]).includes(outcome) ? outcome : ""} className={inputClass}>
            <option value="">any</option>
            {OUTCOMES.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          <span className="font-medium">Since</span>
          <input name="since" type="date" defaultValue={params.get("since") ?? ""} className={inputClass} />
        </label>
        <button type="submit" className={primary}>
          Search
        </button>
      </div>
    </form>
  );
}

export function AgentEventsPage() {
  const [params] = useSearchParams();
  const q = params.get("q")?.trim() ?? "";
  const agent = params.get("agent") ?? "";
  const decisionType = params.get("decision_type") ?? "";
  const rawOutcome = params.get("outcome") ?? "";
  const outcome = (OUTCOMES as readonly string[]).includes(rawOutcome) ? (rawOutcome as Outcome) : undefined;
  const since = sinceParam(params.get("since") ?? "");
  const query = {
    limit: 25,
    ...(q ? { q } : {}),
    ...(agent ? { agent } : {}),
    ...(decisionType ? { decision_type: decisionType } : {}),
    ...(outcome ? { outcome } : {}),
    ...(since ? { since } : {}),
  };
  const pages = useInfiniteQuery({
    queryKey: ["console", "events", query],
    initialPageParam: null as number | null,
    queryFn: async ({ pageParam }): Promise<Page> =>
      unwrap(await adminApi.GET("/api/admin/events", { params: { query: { ...query, ...(pageParam ? { before: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.next_before,
  });
  const first = pages.data?.pages[0];
  const hits = pages.data?.pages.flatMap((p) => p.hits) ?? [];
  return (
    <>
      <PageTitle>Agent events</PageTitle>
      <Filters key={params.toString()} />
      {pages.isPending && <Loading what="events" />}
      {pages.error && <ErrorNote error={pages.error} />}
      {first && (
        <>
          <p className="mb-2 text-sm text-slate-700" data-testid="mode">
            {first.mode === "similar"
              ? `Closest in meaning first (${first.model ?? "embedding model"}).`
              : first.mode === "words"
                ? "Containing these words, newest first."
                : "Newest first."}
          </p>
          <BacklogNote backlog={first.backlog} searching={first.mode === "similar"} />
          {first.notes.map((note) => (
            <p key={note} className="mb-2 rounded-md bg-slate-100 p-2 text-sm">
              {note}
            </p>
          ))}
          {hits.length === 0 && <Empty>No event matches.</Empty>}
        </>
      )}
      {hits.length > 0 && (
        <ul className="flex flex-col gap-2" aria-label="Events">
          {hits.map((hit) => (
            <li key={hit.id}>
              <EventCard hit={hit} />
            </li>
          ))}
        </ul>
      )}
      {pages.hasNextPage && (
        <button type="button" className={`${secondary} mt-4`} disabled={pages.isFetchingNextPage} onClick={() => void pages.fetchNextPage()}>
          Older events
        </button>
      )}
    </>
  );
}

const EMBEDDING: Record<string, string> = {
  embedded: "embedded: found by search",
  waiting: "waiting for the embedding worker",
  dead: "embedding gave up (automechanica memory replay --kind event)",
  none: "not embedded with the search model",
};

export function AgentEventPage() {
  const { eventId = "" } = useParams();
  const id = Number(eventId);
  const valid = Number.isSafeInteger(id) && id > 0;
  const event = useQuery({
    queryKey: ["console", "events", "one", id],
    enabled: valid,
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/events/{event_id}", { params: { path: { event_id: id } } })),
  });
  const e = event.data;
  return (
    <>
      <PageTitle>{e ? `${e.agent} · ${e.decision_type}` : "Agent event"}</PageTitle>
      <p className="mb-4">
        <TextLink to="/console/events">All events</TextLink>
      </p>
      {!valid && <ErrorNote error={`“${eventId}” is not an event number.`} />}
      {valid && event.isPending && <Loading what="the event" />}
      {event.error && <ErrorNote error={event.error} />}
      {e && (
        <div className="flex flex-col gap-4">
          <Card>
            <p className="flex flex-wrap items-center gap-2">
              Event {e.id} <Status value={e.outcome} /> {when(e.created_at)}
            </p>
            <p className="text-sm text-slate-700">
              confidence {percent(e.confidence)}
              {e.subject_kind && ` · ${e.subject_kind} ${e.subject_id ?? ""}`}
              {e.model_used && ` · ${e.model_used}`}
              {(e.tokens_in ?? e.tokens_out) !== null && ` · ${e.tokens_in ?? 0}+${e.tokens_out ?? 0} tokens`}
              {e.cost_usd !== null && ` · $${e.cost_usd}`}
              {e.latency_ms !== null && ` · ${Math.round(e.latency_ms)} ms`}
            </p>
            <p className="text-sm text-slate-700" data-testid="embedding">
              Memory: {EMBEDDING[e.embedding]}
            </p>
            {e.workflow_id && (
              <p>
                <TextLink to={`/console/workflows/${e.workflow_id}`}>Workflow timeline</TextLink>
                {e.step_key && ` (step ${e.step_key})`}
              </p>
            )}
          </Card>
          <Card>
            <h2 className="mb-2 font-semibold">Rationale</h2>
            {e.rationale ? <p className="whitespace-pre-wrap">{e.rationale}</p> : <Empty>No rationale was recorded.</Empty>}
          </Card>
          <Card>
            <h2 className="mb-2 font-semibold">Evidence</h2>
            <Json value={e.evidence} label="Evidence" />
          </Card>
          <div className="grid gap-4 lg:grid-cols-2">
            <Card>
              <h2 className="mb-2 font-semibold">Input</h2>
              <Json value={e.input} label="Input" />
            </Card>
            <Card>
              <h2 className="mb-2 font-semibold">Output</h2>
              <Json value={e.output} label="Output" />
            </Card>
          </div>
          <section aria-label="Similar events">
            <h2 className="mb-2 font-semibold">Similar past events</h2>
            {e.similar.length > 0 ? (
              <ul className="flex flex-col gap-2">
                {e.similar.map((hit) => (
                  <li key={hit.id}>
                    <EventCard hit={hit} />
                  </li>
                ))}
              </ul>
            ) : (
              <Empty>{e.embedding === "embedded" ? "No other event is close to this one." : "Similar events are found once this event is embedded."}</Empty>
            )}
          </section>
        </div>
      )}
    </>
  );
}
