import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link, NavLink } from "react-router";
import { unwrap } from "../api/client";
import { adminApi, logout, type Me } from "./auth/session";

interface Item {
  to: string;
  label: string;
  admin?: boolean;
}

const NAV: Item[] = [
  { to: "/console", label: "Dashboard" },
  { to: "/console/reviews", label: "Reviews" },
  { to: "/console/orders", label: "Orders" },
  { to: "/console/support", label: "Support" },
  { to: "/console/workflows", label: "Workflows" },
  { to: "/console/events", label: "Agent events" },
  { to: "/console/dead-letters", label: "Dead letters" },
  { to: "/console/catalog", label: "Catalog" },
  { to: "/console/feeds", label: "Feeds" },
  { to: "/console/suppliers", label: "Suppliers" },
  { to: "/console/llm", label: "LLM" },
  { to: "/console/policies", label: "Policies" },
  { to: "/console/users", label: "Users", admin: true },
];

/** Open reviews, for the badge in the nav: the console opens on what needs a person. */
export function useOpenReviews() {
  return useQuery({
    queryKey: ["console", "reviews", "open"],
    queryFn: async () => unwrap(await adminApi.GET("/api/admin/reviews", { params: { query: { status: "open", limit: 200 } } })),
    refetchInterval: 15_000,
  });
}

export function Shell({ user, children }: { user: Me; children: ReactNode }) {
  const open = useOpenReviews();
  const waiting = open.data?.length ?? 0;
  return (
    <div className="min-h-screen md:flex">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-10 focus:bg-white focus:p-2">
        Skip to content
      </a>
      <header className="bg-slate-900 text-white md:min-h-screen md:w-56 md:shrink-0">
        <div className="flex flex-wrap items-center justify-between gap-2 px-4 py-3 md:flex-col md:items-start">
          <Link to="/console" className="text-lg font-bold text-white">
            AutoMechanica console
          </Link>
          <div className="flex items-center gap-3 text-sm md:flex-col md:items-start">
            <span data-testid="signed-in-as">
              {user.email} <span className="rounded bg-slate-700 px-1.5 py-0.5">{user.role}</span>
            </span>
            <button type="button" onClick={() => void logout()} className="min-h-11 rounded-md border border-slate-400 px-3 hover:bg-slate-800">
              Sign out
            </button>
          </div>
        </div>
        <nav aria-label="Console" className="overflow-x-auto border-t border-slate-700 md:border-0">
          <ul className="flex gap-1 px-2 py-2 md:flex-col">
            {NAV.filter((item) => !item.admin || user.role === "admin").map((item) => (
              <li key={item.to} className="shrink-0">
                <NavLink
                  to={item.to}
                  end={item.to === "/console"}
                  className={({ isActive }) =>
                    `flex min-h-11 items-center gap-2 rounded-md px-3 whitespace-nowrap ${isActive ? "bg-white font-semibold text-slate-900" : "text-white hover:bg-slate-800"}`
                  }
                >
                  {item.label}
                  {item.to === "/console/reviews" && waiting > 0 && (
                    <span className="rounded-full bg-amber-300 px-2 text-sm font-bold text-slate-900" aria-label={`${waiting} waiting`}>
                      {waiting >= 200 ? "200+" : waiting}
                    </span>
                  )}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" className="min-w-0 grow px-4 py-6 md:px-8">
        {children}
      </main>
    </div>
  );
}
