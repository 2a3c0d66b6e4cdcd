import type { Review } from "./ReviewDecision";
import { ReviewDecision } from "./ReviewDecision";
import { ReviewDiff } from "./ReviewDiff";
import { Card, percent, Status, TextLink, when } from "../ui/ui";

function Evidence({ items }: { items: Review["evidence"] }) {
  if (items.length === 0) return <p className="text-slate-700">The agent gave no evidence.</p>;
  return (
    <ol className="flex flex-col gap-2">
      {items.map((item, i) => (
        <li key={i} className="rounded-md bg-slate-50 p-2 text-sm">
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
            {Object.entries(item).map(([key, value]) => (
              <div key={key} className="contents">
                <dt className="font-medium">{key}</dt>
                <dd className="break-words whitespace-pre-wrap">{typeof value === "string" ? value : JSON.stringify(value)}</dd>
              </div>
            ))}
          </dl>
        </li>
      ))}
    </ol>
  );
}

/** One review: the reason, the agent's rationale and confidence, the evidence beside the diff. */
export function ReviewDetail({ review, onDecided }: { review: Review; onDecided: (decided: Review) => void }) {
  return (
    <article aria-labelledby={`review-${review.id}`} className="flex flex-col gap-4">
      <header>
        <h2 id={`review-${review.id}`} className="text-xl font-bold">
          Review {review.id}: {review.kind}
        </h2>
        <p className="text-sm text-slate-700">
          <Status value={review.status} /> opened {when(review.created_at)}
          {review.subject_kind && ` · ${review.subject_kind} ${review.subject_id ?? ""}`}
          {review.workflow_id && (
            <>
              {" · "}
              <TextLink to={`/console/workflows/${review.workflow_id}`}>workflow</TextLink>
            </>
          )}
        </p>
      </header>
      <Card>
        <h3 className="font-semibold">Why it waits for a person</h3>
        <p className="whitespace-pre-wrap" data-testid="review-reason">
          {review.reason}
        </p>
        <p className="mt-2 text-sm">
          Agent <strong>{review.agent ?? "—"}</strong>, confidence <strong>{percent(review.confidence)}</strong>
        </p>
        {review.rationale && <p className="mt-1 whitespace-pre-wrap text-slate-800">{review.rationale}</p>}
      </Card>
      <div className="grid gap-4 xl:grid-cols-2">
        <Card>
          <h3 className="mb-2 font-semibold">Proposal against what is stored</h3>
          <ReviewDiff current={review.current} proposed={review.proposed} />
        </Card>
        <Card>
          <h3 className="mb-2 font-semibold">Evidence</h3>
          <Evidence items={review.evidence} />
        </Card>
      </div>
      <Card>
        <h3 className="mb-2 font-semibold">Decide</h3>
        <ReviewDecision review={review} onDecided={onDecided} />
      </Card>
    </article>
  );
}
