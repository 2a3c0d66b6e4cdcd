// A return request from the order page. A wrong fit is the costliest failure in this
// trade, so it comes first and says what happens: the Fitment agent looks at the fit
// data against the car, and a person decides. Other reasons are authorized at once.
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";

type Order = components["schemas"]["Order"];
type Reason = components["schemas"]["GuestReturnRequest"]["reason"];

const REASONS: [Reason, string][] = [
  ["wrong_fit", "It doesn't fit my vehicle"],
  ["defective", "It is defective"],
  ["damaged", "It arrived damaged"],
  ["not_needed", "I don't need it any more"],
  ["other", "Another reason"],
];

export function ReturnForm({ order, email }: { order: Order; email: string }) {
  const id = useId();
  const lines = order.lines.map((l) => ({ line: l, id: l.id }));
  const [line, setLine] = useState<number | null>(lines[0]?.id ?? null);
  const [reason, setReason] = useState<Reason>("wrong_fit");
  const [note, setNote] = useState("");
  const send = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/api/returns", {
          body: { number: order.number, email, line_id: line ?? 0, reason, ...(note.trim() ? { note: note.trim() } : {}) },
        }),
      ),
  });
  if (send.data)
    return (
      <p role="status" className="rounded-md bg-green-50 p-3 text-green-900">
        Return {send.data.id} {send.data.status === "authorized" ? "is authorized: send the part back." : "is requested: we are checking the fit data against your car, and a person decides. We will tell you by email."}
      </p>
    );
  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        if (line !== null) send.mutate();
      }}
    >
      <fieldset className="flex flex-col gap-1">
        <legend className="font-medium">Which part</legend>
        {lines.map(({ line: l, id: lid }) => (
          <label key={lid} className="flex min-h-11 items-center gap-2">
            <input type="radio" name={`${id}-line`} checked={line === lid} onChange={() => setLine(lid)} />
            {l.quantity} × {l.title} ({l.brand} {l.part_number})
          </label>
        ))}
      </fieldset>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-reason`} className="font-medium">
          Why
        </label>
        <select id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.target.value as Reason)} className="min-h-11 rounded-md border border-slate-400 bg-white px-2">
          {REASONS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      {reason === "wrong_fit" && (
        <p className="text-sm text-slate-700">
          Tell us what did not match (for example "the rotor is 300 mm, this pad fits 288 mm"). It is checked against the fit data
          {order.vehicle ? ` for your ${order.vehicle.name}` : ""}.
        </p>
      )}
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-note`} className="font-medium">
          Details (optional)
        </label>
        <textarea id={`${id}-note`} value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} rows={3} className="rounded-md border border-slate-400 bg-white p-2" />
      </div>
      {send.error && (
        <p role="alert" className="rounded-md bg-red-50 p-3 text-red-900">
          Not requested: {send.error.message}
        </p>
      )}
      <button type="submit" disabled={send.isPending} className="min-h-11 rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800 disabled:opacity-60">
        Request the return
      </button>
    </form>
  );
}
