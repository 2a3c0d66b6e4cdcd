// "Why this fits": evidence, not marketing. What matched (✓), what the shopper must
// verify (⚠), where the data came from and when, the confidence, the explanation.
import type { FitCheck } from "../../api/client";
import type { GarageVehicle } from "../garage/vehicle";
import { vehicleLabel } from "../garage/vehicle";
import { optionLabel } from "../fitment/fitState";

const NAMES: Record<string, string> = {
  submodel: "Submodel",
  engine_liters: "Engine",
  engine_cylinders: "Cylinders",
  engine_code: "Engine code",
  fuel: "Fuel",
  aspiration: "Aspiration",
  drive: "Drive",
  body: "Body",
  transmission: "Transmission",
};

export function matchedAttributes(check: FitCheck, vehicle: GarageVehicle): string[] {
  const matched = [`${vehicle.year} ${vehicle.make} ${vehicle.model}`];
  const seen = new Set<string>();
  for (const e of check.evidence) {
    for (const [k, v] of Object.entries(e.constraints)) {
      const text = `${NAMES[k] ?? k}: ${optionLabel(k, String(v))}`;
      if (!seen.has(text)) {
        seen.add(text);
        matched.push(text);
      }
    }
  }
  return matched;
}

export function WhyThisFits({ check, vehicle }: { check: FitCheck; vehicle: GarageVehicle }) {
  const fits = check.verdict === "fits";
  const matched = fits || check.verdict === "need_more_information" ? matchedAttributes(check, vehicle) : [];
  const sources = [...new Set(check.evidence.map((e) => `${e.source}${e.listed_on ? `, listed ${e.listed_on}` : ""}`))];
  const notes = [...new Set(check.evidence.flatMap((e) => e.notes))];
  const heading = fits ? "Why this fits" : check.verdict === "does_not_fit" ? "Why this doesn't fit" : "What we know so far";
  return (
    <section aria-labelledby="why-heading" data-testid="why-this-fits" className="rounded-md border border-slate-300 bg-white p-4">
      <h2 id="why-heading" className="text-lg font-semibold">
        {heading}
      </h2>
      <p className="text-sm text-slate-700">For your {vehicleLabel(vehicle)}</p>
      {matched.length > 0 && (
        <>
          <h3 className="mt-3 font-medium">Matched</h3>
          <ul>
            {matched.map((m) => (
              <li key={m}>
                <span aria-hidden="true" className="text-green-800">✓ </span>
                <span className="sr-only">matched: </span>
                {m}
              </li>
            ))}
          </ul>
        </>
      )}
      {check.verify.length > 0 && (
        <>
          <h3 className="mt-3 font-medium">Verify on your vehicle</h3>
          <ul>
            {check.verify.map((q) => (
              <li key={q} className="text-amber-950">
                <span aria-hidden="true">⚠ </span>
                <span className="sr-only">verify: </span>
                {q}
              </li>
            ))}
          </ul>
        </>
      )}
      {sources.length > 0 && (
        <>
          <h3 className="mt-3 font-medium">Sources</h3>
          <ul className="list-disc pl-5">
            {sources.map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ul>
        </>
      )}
      {notes.length > 0 && (
        <ul className="mt-2 list-disc pl-5 text-sm text-slate-700">
          {notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <p className="mt-3">
        <span className="font-medium">Confidence:</span> {Math.round(check.confidence * 100)}%
      </p>
      <p className="mt-2 text-slate-800">{check.explanation}</p>
    </section>
  );
}
