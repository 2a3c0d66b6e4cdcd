// Feeds: upload a supplier's file (with progress), then follow its onboarding run live
// to the import report; earlier runs are listed below the form.
import { useQuery } from "@tanstack/react-query";
import { useNavigate, useParams } from "react-router";
import { unwrap } from "../../api/client";
import { adminApi } from "../auth/session";
import { FeedRun } from "../feeds/FeedRun";
import { FeedUploadForm } from "../feeds/FeedUploadForm";
import { Card, Empty, ErrorNote, Loading, PageTitle, Status, TextLink, when } from "../ui/ui";

const KIND = "supplier_feed_onboarding";

function RecentRuns() {
  const runs = useQuery({
    queryKey: ["console", "workflows", KIND, undefined],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/workflows", { params: { query: { kind: KIND, limit: 20 } } })),
    refetchInterval: 10_000,
  });
  return (
    <Card>
      <h2 className="mb-2 font-semibold">Recent imports</h2>
      {runs.isPending && <Loading what="recent imports" />}
      {runs.error && <ErrorNote error={runs.error} />}
      {runs.data?.length === 0 && <Empty>No feed has been imported yet.</Empty>}
      <ul className="flex flex-col gap-2">
        {runs.data?.map((w) => (
          <li key={w.id}>
            <TextLink to={`/console/feeds/${w.id}`}>
              Import started {when(w.started_at)}
            </TextLink>{" "}
            <Status value={w.status} />
            <span className="block text-sm text-slate-700">
              {w.started_by && `by ${w.started_by}`}
              {w.current_step && ` · at ${w.current_step}`}
              {w.open_reviews > 0 && ` · ${w.open_reviews} review(s) waiting`}
            </span>
          </li>
        ))}
      </ul>
    </Card>
  );
}

export function FeedsPage() {
  const navigate = useNavigate();
  return (
    <>
      <PageTitle>Feeds</PageTitle>
      <div className="flex flex-col gap-4">
        <Card>
          <h2 className="mb-2 font-semibold">Upload a supplier's feed</h2>
          <p className="mb-3 text-sm text-slate-700">
            The file is stored, then the onboarding agents read its layout, store the offers and build the product pages. An unsure layout waits for a
            person in Reviews.
          </p>
          <FeedUploadForm onUploaded={(done) => navigate(`/console/feeds/${done.workflow_id}`)} />
        </Card>
        <RecentRuns />
      </div>
    </>
  );
}

export function FeedRunPage() {
  const { workflowId = "" } = useParams();
  return (
    <>
      <PageTitle>Feed import</PageTitle>
      <p className="mb-4">
        <TextLink to="/console/feeds">Feeds</TextLink>
      </p>
      <FeedRun workflowId={workflowId} />
    </>
  );
}
