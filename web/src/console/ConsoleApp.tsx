// The operators' console at /console: loaded on demand (its own chunk, with the charts),
// so the storefront's entry bundle never carries it. Every page needs a staff sign-in.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { Route, Routes } from "react-router";
import { LoginForm } from "./auth/LoginForm";
import type { Me } from "./auth/session";
import { useSession } from "./auth/useSession";
import { Shell } from "./Shell";
import { AgentEventPage, AgentEventsPage } from "./pages/AgentEvents";
import { CatalogPage } from "./pages/CatalogPage";
import { PartPricingPage } from "./pages/PartPricing";
import { FitmentEditorPage } from "./pages/FitmentEditor";
import { DashboardPage } from "./pages/DashboardPage";
import { DeadLetterPage, DeadLettersPage } from "./pages/DeadLetters";
import { FeedRunPage, FeedsPage } from "./pages/FeedsPage";
import { ImportReportPage } from "./pages/ImportReport";
import { LlmPage } from "./pages/LlmPage";
import { OrderPage, OrdersPage } from "./pages/Orders";
import { PoliciesPage } from "./pages/PoliciesPage";
import { ReviewsPage } from "./pages/ReviewsPage";
import { SupportChatPage, SupportPage } from "./pages/Support";
import { SupplierPage, SuppliersPage } from "./pages/Suppliers";
import { UsersPage } from "./pages/UsersPage";
import { WorkflowPage, WorkflowsPage } from "./pages/Workflows";
import { Empty, PageTitle } from "./ui/ui";

function Login({ notice }: { notice?: string | undefined }) {
  useEffect(() => {
    document.title = "Sign in: AutoMechanica console";
  }, []);
  return (
    <main id="main" className="mx-auto flex min-h-screen max-w-sm flex-col justify-center gap-6 px-4 py-8">
      <div>
        <p className="font-semibold text-slate-700">AutoMechanica</p>
        <h1 className="text-2xl font-bold">Sign in to the console</h1>
      </div>
      <LoginForm notice={notice} />
      <p className="text-sm text-slate-700">
        Staff accounts come from an admin (<code>automechanica users create</code>).{" "}
        <a href="/" className="text-blue-800 underline">
          Back to the store
        </a>
      </p>
    </main>
  );
}

function Pages({ user }: { user: Me }) {
  return (
    <Routes>
      <Route index element={<DashboardPage />} />
      <Route path="orders" element={<OrdersPage />} />
      <Route path="orders/:orderId" element={<OrderPage />} />
      <Route path="reviews" element={<ReviewsPage />} />
      <Route path="reviews/:reviewId" element={<ReviewsPage />} />
      <Route path="support" element={<SupportPage />} />
      <Route path="support/:sessionId" element={<SupportChatPage />} />
      <Route path="workflows" element={<WorkflowsPage />} />
      <Route path="workflows/:workflowId" element={<WorkflowPage />} />
      <Route path="events" element={<AgentEventsPage />} />
      <Route path="events/:eventId" element={<AgentEventPage />} />
      <Route path="dead-letters" element={<DeadLettersPage />} />
      <Route path="dead-letters/:taskId" element={<DeadLetterPage />} />
      <Route path="feeds" element={<FeedsPage />} />
      <Route path="feeds/:workflowId" element={<FeedRunPage />} />
      <Route path="feeds/reports/:reportId" element={<ImportReportPage />} />
      <Route path="suppliers" element={<SuppliersPage />} />
      <Route path="suppliers/:supplierId" element={<SupplierPage />} />
      <Route path="llm" element={<LlmPage />} />
      <Route path="catalog" element={<CatalogPage />} />
      <Route path="catalog/parts/:partId/pricing" element={<PartPricingPage />} />
      <Route path="catalog/parts/:partId/fitment" element={<FitmentEditorPage />} />
      <Route path="policies" element={<PoliciesPage user={user} />} />
      <Route
        path="users"
        element={
          user.role === "admin" ? (
            <UsersPage />
          ) : (
            <>
              <PageTitle>Users</PageTitle>
              <Empty>Only admins manage accounts. Ask an admin.</Empty>
            </>
          )
        }
      />
      <Route
        path="*"
        element={
          <>
            <PageTitle>Page not found</PageTitle>
            <Empty>The console has no such page.</Empty>
          </>
        }
      />
    </Routes>
  );
}

export default function ConsoleApp() {
  const session = useSession();
  const queries = useQueryClient();
  useEffect(() => {
    // Whatever one account saw is not shown to the next.
    if (session.status === "signed-out") queries.removeQueries({ queryKey: ["console"] });
  }, [session.status, queries]);
  if (session.status === "checking") {
    return (
      <p role="status" className="p-6">
        Checking your session…
      </p>
    );
  }
  if (session.status === "signed-out") return <Login notice={session.reason} />;
  return (
    <Shell user={session.user}>
      <Pages user={session.user} />
    </Shell>
  );
}
