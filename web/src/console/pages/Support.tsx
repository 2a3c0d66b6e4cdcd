// Support hand-overs: chats the assistant passed to a person (asked for, or below the
// support.answer threshold). The operator reads the whole chat and replies; the reply
// keeps the chat, gives it back to the assistant, or closes it. Customers' and the
// assistant's words are shown as text.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useParams, useSearchParams } from "react-router";
import { unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { adminApi } from "../auth/session";
import { age, Card, Empty, ErrorNote, inputClass, Loading, PageTitle, primary, Status, TextLink, when } from "../ui/ui";

const STATES = ["handed_over", "open", "closed"] as const;
type State = (typeof STATES)[number];
type After = components["schemas"]["Reply"]["status"];

export function SupportPage() {
  const [params, setParams] = useSearchParams();
  const status = (STATES as readonly string[]).includes(params.get("status") ?? "") ? (params.get("status") as State) : "handed_over";
  const chats = useQuery({
    queryKey: ["console", "support", status],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/support", { params: { query: { status, limit: 100 } } })),
    refetchInterval: 10_000,
  });
  return (
    <>
      <PageTitle>Support</PageTitle>
      <label className="mb-4 flex max-w-xs flex-col gap-1">
        <span className="font-medium">Chats</span>
        <select value={status} onChange={(e) => setParams({ status: e.target.value })} className={inputClass}>
          <option value="handed_over">handed over to a person</option>
          <option value="open">with the assistant</option>
          <option value="closed">closed</option>
        </select>
      </label>
      {chats.isPending && <Loading what="chats" />}
      {chats.error && <ErrorNote error={chats.error} />}
      {chats.data?.length === 0 && <Empty>No chat here.</Empty>}
      <ul className="flex flex-col gap-2">
        {chats.data?.map((c) => (
          <li key={c.id}>
            <Card>
              <p className="font-semibold">
                <TextLink to={`/console/support/${c.id}`}>{c.customer_email ?? "Guest"}</TextLink> <Status value={c.status} />
                {c.awaiting_reply && <span className="ml-2 rounded bg-amber-100 px-2 text-sm text-amber-900">awaiting a reply</span>}
              </p>
              <p className="text-sm text-slate-700">
                {c.messages} message(s) · updated {age(c.updated_at)} ago{c.handover_reason && ` · ${c.handover_reason}`}
              </p>
              {c.last_message && <p className="mt-1 line-clamp-2 whitespace-pre-wrap">{c.last_message}</p>}
            </Card>
          </li>
        ))}
      </ul>
    </>
  );
}

export function SupportChatPage() {
  const { sessionId = "" } = useParams();
  const id = useId();
  const queries = useQueryClient();
  const [text, setText] = useState("");
  const [after, setAfter] = useState<After>("handed_over");
  const chat = useQuery({
    queryKey: ["console", "support", "one", sessionId],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/support/{session_id}", { params: { path: { session_id: sessionId } } })),
    refetchInterval: 5_000,
  });
  const reply = useMutation({
    mutationFn: async () =>
      unwrap(await adminApi.POST("/api/admin/support/{session_id}/reply", { params: { path: { session_id: sessionId } }, body: { text: text.trim(), status: after } })),
    onSuccess: (data) => {
      setText("");
      queries.setQueryData(["console", "support", "one", sessionId], data);
      void queries.invalidateQueries({ queryKey: ["console", "support"] });
    },
  });
  const c = chat.data;
  return (
    <>
      <PageTitle>Chat with {c?.customer_email ?? (c?.signed_in ? "a customer" : "a guest")}</PageTitle>
      <p className="mb-4">
        <TextLink to="/console/support">All chats</TextLink>
      </p>
      {chat.isPending && <Loading what="the chat" />}
      {chat.error && <ErrorNote error={chat.error} />}
      {c && (
        <div className="flex flex-col gap-4">
          <p>
            <Status value={c.status} /> started {when(c.created_at)}
            {c.vehicle_id !== null && ` · vehicle ${c.vehicle_id}`}
            {c.handover_reason && ` · handed over: ${c.handover_reason}`}
          </p>
          <ol className="flex flex-col gap-2" aria-label="Messages">
            {c.messages.map((m) => (
              <li key={m.id} className={`max-w-3xl rounded-lg p-3 ${m.role === "customer" ? "bg-white" : m.role === "operator" ? "ml-auto bg-blue-50" : "ml-auto bg-slate-100"}`}>
                <p className="text-sm text-slate-700">
                  {m.role} · {when(m.created_at)}
                </p>
                <p className="whitespace-pre-wrap">{m.content}</p>
                {m.citations.length > 0 && (
                  <ul className="mt-1 text-sm">
                    {m.citations.map((cite) => (
                      <li key={`${cite.kind}-${cite.ref}`}>
                        {cite.url && cite.url.startsWith("/") ? (
                          <a href={cite.url} className="text-blue-800 underline">
                            {cite.title}
                          </a>
                        ) : (
                          cite.title
                        )}{" "}
                        ({cite.kind})
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ol>
          {c.status !== "closed" && (
            <Card>
              <form
                className="flex flex-col gap-2"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (text.trim()) reply.mutate();
                }}
              >
                <label htmlFor={`${id}-reply`} className="font-medium">
                  Your reply
                </label>
                <textarea id={`${id}-reply`} value={text} onChange={(e) => setText(e.target.value)} rows={4} maxLength={4000} required className={`${inputClass} py-2`} />
                <label className="flex flex-col gap-1">
                  <span className="font-medium">Then</span>
                  <select value={after} onChange={(e) => setAfter(e.target.value as After)} className={inputClass}>
                    <option value="handed_over">keep the chat with me</option>
                    <option value="open">give it back to the assistant</option>
                    <option value="closed">close the chat</option>
                  </select>
                </label>
                {reply.error && <ErrorNote error={reply.error} />}
                <button type="submit" className={primary} disabled={reply.isPending || !text.trim()}>
                  Send reply
                </button>
              </form>
            </Card>
          )}
        </div>
      )}
    </>
  );
}
