// The review queue: oldest first, one open beside the list; deciding opens the next.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { unwrap } from "../../api/client";
import { adminApi } from "../auth/session";
import type { Review } from "../reviews/ReviewDecision";
import { ReviewDetail } from "../reviews/ReviewDetail";
import { useOpenReviews } from "../Shell";
import { age, Empty, ErrorNote, Loading, PageTitle, percent } from "../ui/ui";

export function ReviewsPage() {
  const { reviewId } = useParams();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const open = useOpenReviews();
  const [decided, setDecided] = useState<Review | null>(null);
  const chosen = reviewId ? Number(reviewId) : (open.data?.[0]?.id ?? null);
  const review = useQuery({
    queryKey: ["console", "review", chosen],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/reviews/{review_id}", { params: { path: { review_id: chosen ?? 0 } } })),
    enabled: chosen !== null && Number.isInteger(chosen) && chosen > 0,
  });

  function onDecided(done: Review) {
    setDecided(done);
    queries.setQueryData(["console", "review", done.id], done);
    const next = open.data?.find((r) => r.id !== done.id && r.status === "open");
    void queries.invalidateQueries({ queryKey: ["console", "reviews"] });
    void queries.invalidateQueries({ queryKey: ["console", "workflows"] });
    navigate(next ? `/console/reviews/${next.id}` : "/console/reviews");
  }

  const list = open.data ?? [];
  return (
    <>
      <PageTitle>Reviews</PageTitle>
      {decided && (
        <p role="status" className="mb-4 rounded-md bg-green-50 p-3 text-green-900">
          Review {decided.id} {decided.status}. {list.some((r) => r.id !== decided.id) ? "The next one is open." : "Nothing else is waiting."}
        </p>
      )}
      <div className="grid gap-6 lg:grid-cols-[18rem_1fr]">
        <section aria-labelledby="queue-title">
          <h2 id="queue-title" className="mb-2 font-semibold">
            Waiting ({list.length >= 200 ? "200+" : list.length}), oldest first
          </h2>
          {open.isPending && <Loading what="the review queue" />}
          {open.error && <ErrorNote error={open.error} />}
          {open.data && list.length === 0 && <Empty>No review is waiting. Agents' decisions below their policy's threshold appear here.</Empty>}
          <ul className="flex max-h-[70vh] flex-col gap-1 overflow-y-auto">
            {list.map((r) => (
              <li key={r.id}>
                <Link
                  to={`/console/reviews/${r.id}`}
                  aria-current={r.id === chosen ? "page" : undefined}
                  className={`block rounded-md border p-2 ${r.id === chosen ? "border-blue-700 bg-blue-50" : "border-slate-300 bg-white hover:bg-slate-50"}`}
                >
                  <span className="block font-medium">
                    #{r.id} {r.kind}
                  </span>
                  <span className="block text-sm text-slate-700">
                    {r.subject_id ?? r.subject_kind ?? ""} · {age(r.created_at)} waiting · {percent(r.confidence)}
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        </section>
        <div className="min-w-0">
          {review.isPending && chosen !== null && <Loading what="the review" />}
          {review.error && <ErrorNote error={review.error} />}
          {review.data && <ReviewDetail review={review.data} onDecided={onDecided} />}
        </div>
      </div>
    </>
  );
}
