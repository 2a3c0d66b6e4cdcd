import { Link } from "react-router";
import { useCart } from "./cart";

/** The header's cart link, with how many parts it holds. */
export function CartLink() {
  const cart = useCart();
  const count = (cart.data?.line_items ?? []).filter((l) => l.kind === "part").reduce((n, l) => n + l.quantity, 0);
  return (
    <Link to="/cart" className="flex min-h-11 items-center rounded-md border border-slate-500 px-3 text-white hover:bg-slate-800">
      Cart{count > 0 && <span className="ml-1 rounded-full bg-amber-300 px-2 text-sm font-bold text-slate-900">{count}</span>}
      {count > 0 && <span className="sr-only"> ({count} items)</span>}
    </Link>
  );
}
