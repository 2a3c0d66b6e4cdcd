import { Link } from "react-router";
import type { PartSummary } from "../../api/client";
import { money } from "../../lib/format";
import { FitBadge } from "../fitment/FitBadge";
import { useAnswer, useFit } from "../fitment/useFit";
import { useVehiclePath } from "../garage/GarageProvider";

export function ResultCard({ part }: { part: PartSummary }) {
  const { state } = useFit(part.id, part.fit_class);
  const answer = useAnswer();
  const withVehicle = useVehiclePath();
  const price = money(part.price);
  return (
    <li data-testid="result" className="flex flex-col gap-2 rounded-md border border-slate-300 bg-white p-3">
      <h3 className="font-semibold">
        <Link to={withVehicle(`/parts/${part.id}`)} className="text-blue-800 underline-offset-2 hover:underline">
          {part.title}
        </Link>
      </h3>
      <p className="text-sm text-slate-700">
        {part.brand} · <span className="font-mono">{part.part_number}</span> · {part.part_type}
      </p>
      <p className="flex items-baseline justify-between gap-2">
        <span className="text-lg font-bold">{price ?? <span className="text-base font-normal text-slate-700">Price on request</span>}</span>
        <span className={part.stock > 0 ? "text-sm text-green-900" : "text-sm text-slate-700"}>
          {part.stock > 0 ? `${part.stock} in stock` : "Out of stock"}
        </span>
      </p>
      <FitBadge
        state={state}
        answering={answer.isPending}
        onAnswer={(attribute, value) => answer.mutate({ attribute, value })}
      />
    </li>
  );
}
