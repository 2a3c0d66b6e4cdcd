// The product page: what it is, what it costs (core charge on its own line), whether it
// fits the current vehicle and why, the vehicles it fits, and its interchange numbers.
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { api, unwrap, type PartDetail } from "../../api/client";
import { money } from "../../lib/format";
import { AddToCart } from "../cart/AddToCart";
import { FitBadge } from "../fitment/FitBadge";
import { fitState } from "../fitment/fitState";
import { useAnswer, useFitCheck } from "../fitment/useFit";
import { useGarage, useVehiclePath } from "../garage/GarageProvider";
import { vehicleLabel } from "../garage/vehicle";
import { ReverseFitment } from "./ReverseFitment";
import { WhyThisFits } from "./WhyThisFits";

export function ProductPage() {
  const { partId } = useParams();
  const id = Number(partId);
  const valid = Number.isInteger(id) && id > 0;
  const detail = useQuery({
    queryKey: ["part", id],
    enabled: valid,
    queryFn: async () => unwrap(await api.GET("/api/parts/{part_id}", { params: { path: { part_id: id } } })),
  });
  if (!valid) return <p role="alert">There is no such part.</p>;
  if (detail.isPending) return <p aria-busy="true">Loading the part…</p>;
  if (detail.isError) return <p role="alert">{detail.error.message}</p>;
  return <Product part={detail.data} />;
}

function Product({ part }: { part: PartDetail }) {
  const { current } = useGarage();
  const withVehicle = useVehiclePath();
  const fitClass = part.fit_class === "vehicle_specific" && part.fitment.length === 0 ? "no_fitment" : part.fit_class;
  const check = useFitCheck(part.id, fitClass, current);
  const state = fitState(fitClass, current ? vehicleLabel(current) : null, check);
  const answer = useAnswer();
  const offer = part.offer;
  const price = money(offer?.price ?? part.price);
  const specs = Object.entries(part.attributes);
  return (
    <article className="flex flex-col gap-4">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link to={withVehicle("/")} className="text-blue-800 underline">
          Home
        </Link>{" "}
        ›{" "}
        <Link to={withVehicle(`/search?part_type=${part.part_type_slug}`)} className="text-blue-800 underline">
          {part.part_type}
        </Link>
      </nav>
      <div className="grid gap-4 md:grid-cols-[1fr_20rem]">
        <div className="flex flex-col gap-3">
          <h1 className="text-2xl font-bold">{part.title}</h1>
          <p className="text-slate-700">
            {part.brand} · Part number <span className="font-mono">{part.part_number}</span>
            {part.upc && <> · UPC {part.upc}</>}
          </p>
          <FitBadge state={state} answering={answer.isPending} onAnswer={(attribute, value) => answer.mutate({ attribute, value })} />
          {part.description && <p>{part.description}</p>}
        </div>
        <section aria-label="Price and stock" className="flex flex-col gap-1 rounded-md border border-slate-300 bg-white p-4">
          <p className="text-2xl font-bold">{price ?? <span className="text-lg font-normal">Price on request</span>}</p>
          {offer?.msrp && money(offer.msrp) !== price && <p className="text-sm text-slate-700">List price {money(offer.msrp)}</p>}
          {offer?.core_charge && Number(offer.core_charge) > 0 && (
            <p data-testid="core-charge">
              + {money(offer.core_charge)} core charge <span className="text-sm text-slate-700">(refunded when you return the old part)</span>
            </p>
          )}
          <p className={offer?.available ? "text-green-900" : "text-slate-700"}>
            {offer ? (offer.stock_total > 0 ? `${offer.stock_total} in stock` : "Out of stock") : "Not offered right now"}
          </p>
          {offer && (offer.pack_qty > 1 || offer.uom) && (
            <p className="text-sm text-slate-700">
              Sold as {offer.pack_qty > 1 ? `${offer.pack_qty} × ` : ""}
              {offer.uom ?? "each"}
            </p>
          )}
          {offer?.hazmat && <p className="text-sm text-amber-900">Hazardous material: ground shipping only.</p>}
          <AddToCart partId={part.id} available={Boolean(offer?.available && price)} />
          <Link
            to={withVehicle(`/support?ask=${encodeURIComponent(`Does ${part.brand} ${part.part_number} fit my car?`)}`)}
            className="mt-1 text-sm text-blue-800 underline"
          >
            Not sure it fits? Ask us
          </Link>
        </section>
      </div>
      {current && check.data && <WhyThisFits check={check.data} vehicle={current} />}
      {specs.length > 0 && (
        <section aria-labelledby="specs-heading" className="rounded-md border border-slate-300 bg-white p-4">
          <h2 id="specs-heading" className="text-lg font-semibold">
            Specifications
          </h2>
          <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
            {specs.map(([name, value]) => (
              <div key={name} className="contents">
                <dt className="text-slate-700">{name}</dt>
                <dd>{typeof value === "string" || typeof value === "number" ? String(value) : JSON.stringify(value)}</dd>
              </div>
            ))}
          </dl>
        </section>
      )}
      <ReverseFitment fitment={part.fitment} />
      <section aria-labelledby="interchange-heading" className="rounded-md border border-slate-300 bg-white p-4">
        <h2 id="interchange-heading" className="text-lg font-semibold">
          Interchange and superseded numbers
        </h2>
        {part.interchange.length === 0 ? (
          <p className="text-slate-700">None listed.</p>
        ) : (
          <ul className="mt-1">
            {part.interchange.map((x) => (
              <li key={`${x.brand}-${x.part_number}-${x.kind}`}>
                {x.part_id ? (
                  <Link to={withVehicle(`/parts/${x.part_id}`)} className="text-blue-800 underline">
                    {x.brand} <span className="font-mono">{x.part_number}</span>
                  </Link>
                ) : (
                  <>
                    {x.brand} <span className="font-mono">{x.part_number}</span>
                  </>
                )}{" "}
                <span className="text-sm text-slate-700">({x.kind})</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </article>
  );
}
