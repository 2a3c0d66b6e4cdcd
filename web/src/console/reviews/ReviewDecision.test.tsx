import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { renderConsole, stubFetch, type Call } from "../../test/console";
import type { Review } from "./ReviewDecision";
import { ReviewDetail } from "./ReviewDetail";

const review: Review = {
  id: 7,
  event_id: 11,
  workflow_id: "0b8a3c1e-6f0e-4a57-9d6c-0a1f2b3c4d5e",
  step_key: "map_layout",
  kind: "feed.layout_mapping",
  reason: "Confidence 0.55 is under the policy's 0.9 <b>threshold</b>",
  proposed: { fields: { cost: { source: "Price1" }, msrp: { source: "Price2" } }, delimiter: "," },
  current: { fields: { cost: { source: "Price9" }, msrp: { source: "Price2" } } },
  agent: "feed_mapper",
  confidence: 0.55,
  rationale: "<img src=x onerror=alert(1)> Price1 looks like a cost.",
  evidence: [{ ref: "column Price1", quote: "4.10, 5.20" }],
  subject_kind: "supplier",
  subject_id: "prices inc",
  status: "open",
  resolution: null,
  reviewer: null,
  note: null,
  created_at: "2026-12-03T10:00:00Z",
  resolved_at: null,
};

function stubDecision(status = 200) {
  return stubFetch((c: Call) => {
    if (c.method === "POST" && c.path === "/api/admin/reviews/7/decision") {
      if (status !== 200) return { status, body: { detail: "Review 7 was already approved by lee@example.com." } };
      const body = c.body as { action: string; note?: string };
      return { body: { ...review, status: body.action === "approve" ? "approved" : body.action === "edit" ? "edited" : "rejected", reviewer: "ops@example.com", note: body.note ?? null } };
    }
    return undefined;
  });
}

afterEach(() => vi.unstubAllGlobals());

describe("deciding a review", () => {
  it("shows the proposal as a diff beside the evidence, agents' text as text", () => {
    stubDecision();
    const { container } = renderConsole(<ReviewDetail review={review} onDecided={() => {}} />);
    const changed = container.querySelectorAll("tr[data-change='changed']");
    expect([...changed].map((row) => row.textContent)).toEqual(['~fields.cost.source"Price9""Price1"']);
    expect(container.querySelectorAll("tr[data-change='added']")).toHaveLength(1); // delimiter
    expect(screen.getByText("column Price1")).toBeInTheDocument();
    expect(screen.getByText(/55%/)).toBeInTheDocument();
    expect(screen.getByTestId("review-reason")).toHaveTextContent("under the policy's 0.9 <b>threshold</b>");
    expect(screen.getByText(/<img src=x onerror=alert\(1\)>/)).toBeInTheDocument();
    expect(container.querySelector("img, b")).toBeNull();
  });

  it("approves with the note typed, and hands back the decided review", async () => {
    const calls = stubDecision();
    const onDecided = vi.fn();
    renderConsole(<ReviewDetail review={review} onDecided={onDecided} />);
    await userEvent.type(screen.getByLabelText("Note (optional)"), "columns checked against the PDF");
    await userEvent.click(screen.getByRole("button", { name: /Approve/ }));
    await waitFor(() => expect(onDecided).toHaveBeenCalledWith(expect.objectContaining({ id: 7, status: "approved" })));
    expect(calls.map((c) => c.body)).toEqual([{ action: "approve", note: "columns checked against the PDF" }]);
  });

  it("rejects with the R key when no field has focus", async () => {
    const calls = stubDecision();
    const onDecided = vi.fn();
    renderConsole(<ReviewDetail review={review} onDecided={onDecided} />);
    await userEvent.keyboard("r");
    await waitFor(() => expect(onDecided).toHaveBeenCalledWith(expect.objectContaining({ status: "rejected" })));
    expect(calls.map((c) => c.body)).toEqual([{ action: "reject" }]);
  });

  it("does not take a key typed into the note as a decision", async () => {
    const calls = stubDecision();
    renderConsole(<ReviewDetail review={review} onDecided={() => {}} />);
    await userEvent.type(screen.getByLabelText("Note (optional)"), "are all rows ok");
    expect(calls).toHaveLength(0);
  });

  it("edits: E opens the proposal as JSON; the corrected value is sent", async () => {
    const calls = stubDecision();
    const onDecided = vi.fn();
    renderConsole(<ReviewDetail review={review} onDecided={onDecided} />);
    await userEvent.keyboard("e");
    const editor = screen.getByLabelText("Corrected proposal (JSON)");
    expect(editor).toHaveFocus();
    expect(JSON.parse((editor as HTMLTextAreaElement).value)).toEqual(review.proposed);
    await userEvent.clear(editor);
    await userEvent.click(editor);
    await userEvent.paste('{"fields": {"cost": {"source": "Price3"}}}');
    await userEvent.click(screen.getByRole("button", { name: "Save edit" }));
    await waitFor(() => expect(onDecided).toHaveBeenCalledWith(expect.objectContaining({ status: "edited" })));
    expect(calls.map((c) => c.body)).toEqual([{ action: "edit", value: { fields: { cost: { source: "Price3" } } } }]);
  });

  it("refuses an edit that is not JSON, says why, and sends nothing", async () => {
    const calls = stubDecision();
    renderConsole(<ReviewDetail review={review} onDecided={() => {}} />);
    await userEvent.click(screen.getByRole("button", { name: /Edit/ }));
    const editor = screen.getByLabelText("Corrected proposal (JSON)");
    await userEvent.clear(editor);
    await userEvent.click(editor);
    await userEvent.paste("{fields: cost}");
    await userEvent.click(screen.getByRole("button", { name: "Save edit" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The edited proposal is not valid JSON");
    expect(calls).toHaveLength(0);
    expect(editor).toHaveValue("{fields: cost}"); // the draft is kept to fix
  });

  it("says so when someone else decided first", async () => {
    stubDecision(409);
    const onDecided = vi.fn();
    renderConsole(<ReviewDetail review={review} onDecided={onDecided} />);
    await userEvent.click(screen.getByRole("button", { name: /Approve/ }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Already decided: Review 7 was already approved by lee@example.com.");
    expect(onDecided).not.toHaveBeenCalled();
  });
});
