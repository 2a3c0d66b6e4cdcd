// The support chat: the assistant's answer streams in as it is written, cites and links
// the parts it names, and hands over to a person when asked or unsure (then the
// person's replies appear here). Every word from the assistant, the shopper or staff
// is shown as text.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { api, ApiError, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { useGarage } from "../garage/GarageProvider";
import { vehicleLabel } from "../garage/vehicle";
import { readEvents } from "./sse";

type Citation = components["schemas"]["Citation"];
type Message = components["schemas"]["automechanica__api__routes__support__Message"];
interface Turn {
  role: "customer" | "assistant" | "operator";
  content: string;
  citations: Citation[];
  streaming?: boolean;
}

const KEY = "am_support";

function asCitations(value: unknown): Citation[] {
  if (!Array.isArray(value)) return [];
  return value.filter((c): c is Citation => typeof c === "object" && c !== null && typeof (c as Citation).title === "string");
}

function Cited({ citations }: { citations: Citation[] }) {
  if (citations.length === 0) return null;
  return (
    <ul className="mt-2 flex flex-col gap-1 text-sm" aria-label="Sources">
      {citations.map((c) => (
        <li key={`${c.kind}-${c.ref}`}>
          {c.url && c.url.startsWith("/") && !c.url.startsWith("//") ? (
            <Link to={c.url} className="text-blue-800 underline">
              {c.title}
            </Link>
          ) : (
            <span>{c.title}</span>
          )}{" "}
          <span className="text-slate-700">({c.kind})</span>
        </li>
      ))}
    </ul>
  );
}

export function SupportPage() {
  const id = useId();
  const [params] = useSearchParams();
  const { current } = useGarage();
  const queries = useQueryClient();
  const [sessionId, setSessionId] = useState<string | null>(() => sessionStorage.getItem(KEY));
  const [text, setText] = useState(params.get("ask") ?? "");
  const [live, setLive] = useState<Turn[]>([]);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const end = useRef<HTMLDivElement>(null);

  const session = useQuery({
    queryKey: ["support", sessionId],
    enabled: sessionId !== null,
    queryFn: async () => {
      try {
        return unwrap(await api.GET("/api/support/sessions/{session_id}", { params: { path: { session_id: sessionId ?? "" } } }));
      } catch (exc) {
        if (exc instanceof ApiError && exc.status === 404) {
          sessionStorage.removeItem(KEY);
          setSessionId(null);
        }
        throw exc;
      }
    },
    // While a person has the conversation, their replies arrive by polling.
    refetchInterval: (q) => (q.state.data?.status === "handed_over" ? 5_000 : false),
  });

  useEffect(() => {
    document.title = "Ask us: AutoMechanica";
  }, []);
  useEffect(() => {
    end.current?.scrollIntoView({ block: "end" });
  }, [live, session.data?.messages.length]);

  async function ensureSession(): Promise<string> {
    if (sessionId) return sessionId;
    const created = unwrap(await api.POST("/api/support/sessions", { body: current?.id ? { vehicle_id: current.id } : {} }));
    sessionStorage.setItem(KEY, created.id);
    setSessionId(created.id);
    return created.id;
  }

  async function send(e: FormEvent) {
    e.preventDefault();
    const question = text.trim();
    if (!question || busy) return;
    setProblem(null);
    setBusy(true);
    setText("");
    setLive([
      { role: "customer", content: question, citations: [] },
      { role: "assistant", content: "", citations: [], streaming: true },
    ]);
    const update = (patch: Partial<Turn>) => setLive((turns) => turns.map((t, i) => (i === 1 ? { ...t, ...patch } : t)));
    try {
      const sid = await ensureSession();
      const { data, response } = await api.POST("/api/support/sessions/{session_id}/messages", {
        params: { path: { session_id: sid } },
        body: { text: question },
        parseAs: "stream",
      });
      if (!response.ok || !data) throw new ApiError(response.status, response.status === 409 ? "This conversation is closed; start a new one." : `HTTP ${response.status}`);
      let written = "";
      for await (const { event, data: raw } of readEvents(data)) {
        const payload = JSON.parse(raw) as Record<string, unknown>;
        if (event === "token" && typeof payload.text === "string") {
          written += payload.text;
          update({ content: written });
        } else if (event === "done") {
          update({ content: typeof payload.text === "string" ? payload.text : written, citations: asCitations(payload.citations), streaming: false });
        } else if (event === "error") {
          throw new Error(typeof payload.detail === "string" ? payload.detail : "The answer could not be completed.");
        }
      }
      await queries.invalidateQueries({ queryKey: ["support", sid] });
      setLive([]);
    } catch (exc) {
      setProblem(`${(exc as Error).message} Your question is kept below; try again.`);
      setText(question);
      setLive((turns) => turns.slice(0, 1));
    } finally {
      setBusy(false);
    }
  }

  const stored: Turn[] = (session.data?.messages ?? []).map((m: Message) => ({ role: m.role, content: m.content, citations: m.citations }));
  // While a question streams, the stored list may already hold it: show each once.
  const turns = live.length ? [...stored.filter((t, i) => !(i >= stored.length - 2 && live.some((l) => l.role === t.role && l.content === t.content))), ...live] : stored;
  const handedOver = session.data?.status === "handed_over";
  const closed = session.data?.status === "closed";

  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-4">
      <h1 className="text-2xl font-bold">Ask us</h1>
      <p className="text-slate-700">
        Questions about fit, parts, orders and returns.{" "}
        {current ? (
          <>
            Fit questions are answered for your <strong>{vehicleLabel(current)}</strong>.
          </>
        ) : (
          "Choose your vehicle first for answers about fit."
        )}
      </p>
      {handedOver && (
        <p role="status" className="rounded-md bg-amber-50 p-3 text-amber-900">
          A person from our team has this conversation and will answer here.
        </p>
      )}
      <div role="log" aria-live="polite" aria-label="Conversation" className="flex flex-col gap-2">
        {turns.map((t, i) => (
          <div
            key={i}
            data-role={t.role}
            aria-busy={t.streaming ? true : undefined}
            className={`max-w-[90%] rounded-lg p-3 ${t.role === "customer" ? "self-end bg-blue-50" : t.role === "operator" ? "bg-green-50" : "bg-white"} border border-slate-200`}
          >
            <p className="text-sm text-slate-700">{t.role === "customer" ? "You" : t.role === "operator" ? "Our team" : "Assistant"}</p>
            <p className="whitespace-pre-wrap">{t.content || (t.streaming ? "…" : "")}</p>
            <Cited citations={t.citations} />
          </div>
        ))}
        <div ref={end} />
      </div>
      {problem && (
        <p role="alert" className="rounded-md bg-red-50 p-3 text-red-900">
          {problem}
        </p>
      )}
      {closed ? (
        <button
          type="button"
          className="min-h-11 self-start rounded-md border border-slate-400 px-4"
          onClick={() => {
            sessionStorage.removeItem(KEY);
            setSessionId(null);
          }}
        >
          Start a new conversation
        </button>
      ) : (
        <form onSubmit={send} className="flex flex-col gap-2">
          <label htmlFor={`${id}-q`} className="font-medium">
            Your question
          </label>
          <textarea id={`${id}-q`} value={text} onChange={(e) => setText(e.target.value)} maxLength={2000} rows={3} className="rounded-md border border-slate-400 bg-white p-2" />
          <button type="submit" disabled={busy || !text.trim()} className="min-h-11 self-start rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800 disabled:opacity-60">
            {busy ? "Answering…" : "Send"}
          </button>
        </form>
      )}
    </div>
  );
}
