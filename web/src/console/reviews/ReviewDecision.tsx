// Approve, edit or reject a review: one key each (A, E, R) when no field has focus.
// The reviewer recorded is the signed-in account (the server takes it from the token).
import { useMutation } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { ApiError, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { adminApi } from "../auth/session";
import { danger, inputClass, primary, secondary } from "../ui/ui";

export type Review = components["schemas"]["Review"];
type Decision = components["schemas"]["Verdict"] | components["schemas"]["Edit"];

function typing(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

export function ReviewDecision({ review, onDecided }: { review: Review; onDecided: (decided: Review) => void }) {
  const [note, setNote] = useState("");
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState("");
  const [draftError, setDraftError] = useState<string | null>(null);
  const editor = useRef<HTMLTextAreaElement>(null);
  const id = useId();

  const decide = useMutation({
    mutationFn: async (body: Decision) =>
      unwrap(await adminApi.POST("/api/admin/reviews/{review_id}/decision", { params: { path: { review_id: review.id } }, body })),
    onSuccess: (decided) => onDecided(decided),
  });

  const withNote = (body: Decision): Decision => (note.trim() ? { ...body, note: note.trim() } : body);
  const approve = () => decide.mutate(withNote({ action: "approve" }));
  const reject = () => decide.mutate(withNote({ action: "reject" }));
  const startEdit = () => {
    setDraft(JSON.stringify(review.proposed, null, 2));
    setDraftError(null);
    setEditing(true);
  };
  const saveEdit = () => {
    let value: unknown;
    try {
      value = JSON.parse(draft);
    } catch (exc) {
      setDraftError(`The edited proposal is not valid JSON: ${(exc as Error).message}. Fix it or cancel the edit.`);
      return;
    }
    if (value === null) {
      setDraftError("The edited proposal is empty (null): write the corrected value, or reject instead.");
      return;
    }
    decide.mutate(withNote({ action: "edit", value: value as components["schemas"]["Edit"]["value"] }));
  };

  useEffect(() => {
    if (editing) editor.current?.focus();
  }, [editing]);

  useEffect(() => {
    setEditing(false);
    setNote("");
    decide.reset();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [review.id]);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target) || decide.isPending || review.status !== "open") return;
      const key = e.key.toLowerCase();
      if (key === "a" && !editing) approve();
      else if (key === "r" && !editing) reject();
      else if (key === "e" && !editing) {
        e.preventDefault();
        startEdit();
      } else return;
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  });

  if (review.status !== "open") {
    return (
      <p className="rounded-md bg-slate-100 p-3">
        {review.status} by {review.reviewer ?? "someone"}
        {review.note ? `: ${review.note}` : ""}
      </p>
    );
  }

  const failure = decide.error;
  return (
    <div className="flex flex-col gap-3" aria-label="Decision" role="group">
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-note`} className="font-medium">
          Note (optional)
        </label>
        <textarea id={`${id}-note`} value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} rows={2} className={`${inputClass} py-2`} />
      </div>
      {editing && (
        <div className="flex flex-col gap-1">
          <label htmlFor={`${id}-edit`} className="font-medium">
            Corrected proposal (JSON)
          </label>
          <textarea
            id={`${id}-edit`}
            ref={editor}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            rows={14}
            spellCheck={false}
            className={`${inputClass} py-2 font-mono text-sm`}
            aria-invalid={draftError ? true : undefined}
            aria-describedby={draftError ? `${id}-edit-error` : undefined}
          />
          {draftError && (
            <p id={`${id}-edit-error`} role="alert" className="text-red-800">
              {draftError}
            </p>
          )}
        </div>
      )}
      {failure && (
        <p role="alert" className="rounded-md bg-red-50 p-3 text-red-800">
          {failure instanceof ApiError && failure.status === 409 ? `Already decided: ${failure.message}` : `Not saved: ${(failure as Error).message}`}
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        {editing ? (
          <>
            <button type="button" className={primary} onClick={saveEdit} disabled={decide.isPending}>
              Save edit
            </button>
            <button type="button" className={secondary} onClick={() => setEditing(false)} disabled={decide.isPending}>
              Cancel edit
            </button>
          </>
        ) : (
          <>
            <button type="button" className={primary} onClick={approve} disabled={decide.isPending} aria-keyshortcuts="A">
              Approve <kbd className="ml-1 text-sm opacity-80">A</kbd>
            </button>
            <button type="button" className={secondary} onClick={startEdit} disabled={decide.isPending} aria-keyshortcuts="E">
              Edit <kbd className="ml-1 text-sm opacity-80">E</kbd>
            </button>
            <button type="button" className={danger} onClick={reject} disabled={decide.isPending} aria-keyshortcuts="R">
              Reject <kbd className="ml-1 text-sm opacity-80">R</kbd>
            </button>
          </>
        )}
      </div>
      {decide.isPending && <p role="status">Saving the decision…</p>}
    </div>
  );
}
