import type { components } from "../../api/schema";

type Message = components["schemas"]["automechanica__commerce__sessions__Message"];

/** The checkout's messages (what to fix, what to know), as text. */
export function Messages({ messages }: { messages: Message[] }) {
  if (messages.length === 0) return null;
  return (
    <ul className="flex flex-col gap-1" aria-label="Messages about your cart">
      {messages.map((m, i) => (
        <li key={`${m.code}-${m.param ?? ""}-${i}`} className={`rounded-md p-2 ${m.type === "error" ? "bg-red-50 text-red-900" : "bg-amber-50 text-amber-900"}`}>
          {m.content}
        </li>
      ))}
    </ul>
  );
}
