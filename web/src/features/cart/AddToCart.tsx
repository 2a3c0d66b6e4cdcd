import { useId, useState } from "react";
import { Link } from "react-router";
import { useGarage } from "../garage/GarageProvider";
import { useCartActions } from "./cart";

/** Quantity and "Add to cart" on the product page; the cart carries the current vehicle. */
export function AddToCart({ partId, available }: { partId: number; available: boolean }) {
  const { current } = useGarage();
  const { add } = useCartActions();
  const [quantity, setQuantity] = useState(1);
  const id = useId();
  if (!available) return null;
  return (
    <form
      className="mt-2 flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate({ partId, quantity, vehicle: current });
      }}
    >
      <label htmlFor={id} className="flex flex-col gap-1 text-sm">
        Quantity
        <select id={id} value={quantity} onChange={(e) => setQuantity(Number(e.target.value))} className="min-h-11 rounded-md border border-slate-400 bg-white px-2">
          {[1, 2, 3, 4, 5, 6, 8, 10].map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={add.isPending} className="min-h-11 grow rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800 disabled:opacity-60">
        {add.isPending ? "Adding…" : "Add to cart"}
      </button>
      {add.isSuccess && (
        <p role="status" className="w-full text-green-900">
          Added to your cart.{" "}
          <Link to="/cart" className="text-blue-800 underline">
            View cart
          </Link>
        </p>
      )}
      {add.error && (
        <p role="alert" className="w-full text-red-800">
          Not added: {add.error.message}
        </p>
      )}
    </form>
  );
}
