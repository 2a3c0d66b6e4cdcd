// Rendering with the app's providers, and a fetch that answers from a table of routes.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { vi } from "vitest";
import { GarageProvider } from "../features/garage/GarageProvider";

export type Routes = Record<string, unknown>;

/** fetch answering `METHOD /path?query` (or `/path`) from `routes`; records every call. */
export function stubApi(routes: Routes) {
  const calls: string[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(request.url);
    const key = `${request.method} ${url.pathname}${url.search}`;
    calls.push(key);
    const body = routes[key] ?? routes[`${request.method} ${url.pathname}`];
    if (body === undefined) return new Response(JSON.stringify({ detail: `no stub for ${key}` }), { status: 404 });
    return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
  });
  vi.stubGlobal("fetch", fetchMock);
  return calls;
}

export function renderWithApp(ui: ReactNode, path = "/") {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <GarageProvider>{ui}</GarageProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}
