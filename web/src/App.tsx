import { lazy, Suspense, useId, useState, type ReactNode } from "react";
import { Link, Route, Routes, useNavigate, useSearchParams } from "react-router";
import { AccountLink } from "./features/account/AccountLink";
import { GarageSync } from "./features/account/GarageSync";
import { CartLink } from "./features/cart/CartLink";
import { CartPage } from "./features/cart/CartPage";
import { CheckoutPage } from "./features/cart/CheckoutPage";
import { OrderLookup, OrderPage } from "./features/cart/OrderPage";
import { GaragePage } from "./features/garage/GaragePage";
import { VehicleLanding } from "./features/landing/VehicleLanding";
import { SupportPage } from "./features/support/SupportPage";
import { GarageProvider, useVehiclePath } from "./features/garage/GarageProvider";
import { VehicleBar } from "./features/garage/VehicleBar";
import { ProductPage } from "./features/product/ProductPage";
import { HomePage } from "./features/search/HomePage";
import { SearchPage } from "./features/search/SearchPage";

// The operators' console is its own chunk: the storefront's entry never carries it (or its charts).
const ConsoleApp = lazy(() => import("./console/ConsoleApp"));
// The account's pages (forms, orders) load when opened; the header link and the garage sync stay.
const AccountPage = lazy(() => import("./features/account/AccountPage").then((m) => ({ default: m.AccountPage })));
const SignInPage = lazy(() => import("./features/account/SignInPage").then((m) => ({ default: m.SignInPage })));

function Loading({ children }: { children: ReactNode }) {
  return <Suspense fallback={<p role="status">Loading…</p>}>{children}</Suspense>;
}

function SearchBox() {
  const [params] = useSearchParams();
  const [text, setText] = useState(params.get("q") ?? "");
  const navigate = useNavigate();
  const withVehicle = useVehiclePath();
  const id = useId();
  return (
    <form
      role="search"
      className="flex grow gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        const q = text.trim();
        navigate(withVehicle(q ? `/search?q=${encodeURIComponent(q)}` : "/search"));
      }}
    >
      <label htmlFor={id} className="sr-only">
        Search parts by name or part number
      </label>
      <input
        id={id}
        type="search"
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder="Part, brand or part number"
        className="min-h-11 w-full min-w-0 rounded-md border border-slate-400 px-3 text-base"
      />
      <button type="submit" className="min-h-11 rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800">
        Search
      </button>
    </form>
  );
}

function Layout() {
  const withVehicle = useVehiclePath();
  return (
    <>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-10 focus:bg-white focus:p-2">
        Skip to content
      </a>
      <header className="bg-slate-900 text-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-3 px-4 py-3">
          <Link to={withVehicle("/")} className="text-xl font-bold text-white">
            AutoMechanica
          </Link>
          <SearchBox />
          <AccountLink />
          <CartLink />
        </div>
      </header>
      <VehicleBar />
      <main id="main" className="mx-auto max-w-6xl px-4 py-6">
        <Routes>
          <Route path="/" element={<HomePage />} />
          <Route path="/search" element={<SearchPage />} />
          <Route path="/parts/:partId" element={<ProductPage />} />
          <Route path="/garage" element={<GaragePage />} />
          <Route path="/cart" element={<CartPage />} />
          <Route path="/checkout" element={<CheckoutPage />} />
          <Route path="/orders" element={<OrderLookup />} />
          <Route path="/orders/:number" element={<OrderPage />} />
          <Route path="/support" element={<SupportPage />} />
          <Route path="/account" element={<Loading><AccountPage /></Loading>} />
          <Route path="/account/sign-in" element={<Loading><SignInPage /></Loading>} />
          <Route path="/vehicles/:year/:make/:model" element={<VehicleLanding />} />
          <Route
            path="*"
            element={
              <div>
                <h1 className="text-2xl font-bold">Page not found</h1>
                <p>
                  <Link to={withVehicle("/")} className="text-blue-800 underline">
                    Back to the store
                  </Link>
                </p>
              </div>
            }
          />
        </Routes>
      </main>
      <footer className="mx-auto max-w-6xl px-4 py-6 text-sm text-slate-700">
        <Link to={withVehicle("/support")} className="underline">
          Ask us
        </Link>{" "}
        ·{" "}
        <Link to="/orders" className="underline">
          Find your order
        </Link>{" "}
        · <a className="underline" href="/docs">API docs</a>
      </footer>
    </>
  );
}

export function App() {
  return (
    <Routes>
      <Route
        path="/console/*"
        element={
          <Suspense
            fallback={
              <p role="status" className="p-6">
                Loading the console…
              </p>
            }
          >
            <ConsoleApp />
          </Suspense>
        }
      />
      <Route
        path="*"
        element={
          <GarageProvider>
            <GarageSync />
            <Layout />
          </GarageProvider>
        }
      />
    </Routes>
  );
}
