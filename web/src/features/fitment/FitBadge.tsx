// The fit badge: green fits, muted doesn't fit, amber check fit (with its one question,
// answerable here), neutral universal, and "no fitment data" said plainly.
import type { FitState } from "./fitState";

const BASE = "rounded-md border px-2 py-1 text-sm";

export function FitBadge({
  state,
  onAnswer,
  answering = false,
}: {
  state: FitState;
  onAnswer?: (attribute: string, value: string) => void;
  answering?: boolean;
}) {
  switch (state.kind) {
    case "fits":
      return (
        <p data-fit="fits" className={`${BASE} border-green-700 bg-green-50 font-semibold text-green-900`}>
          <span aria-hidden="true">✓ </span>Fits your {state.vehicle}
        </p>
      );
    case "does_not_fit":
      return (
        <div data-fit="does_not_fit" className={`${BASE} border-slate-300 bg-slate-100 text-slate-700`}>
          <p className="font-semibold">Doesn't fit your {state.vehicle}</p>
          <p className="text-xs">{state.reason}</p>
        </div>
      );
    case "check":
      return (
        <fieldset data-fit="check" className={`${BASE} border-amber-600 bg-amber-50 text-amber-950`} disabled={answering}>
          <legend className="sr-only">Check fit</legend>
          <p className="font-semibold">
            <span aria-hidden="true">? </span>Check fit: {state.question}
          </p>
          {onAnswer && state.options.length > 0 && (
            <div className="mt-1 flex flex-wrap gap-2">
              {state.options.map((o) => (
                <button
                  key={o.value}
                  type="button"
                  onClick={() => onAnswer(state.attribute, o.value)}
                  className="min-h-11 rounded-md border border-amber-700 bg-white px-3 text-amber-950 hover:bg-amber-100"
                >
                  {o.label}
                </button>
              ))}
            </div>
          )}
        </fieldset>
      );
    case "universal":
      return (
        <p data-fit="universal" className={`${BASE} border-slate-400 bg-white text-slate-800`}>
          {state.label}
        </p>
      );
    case "no_data":
      return (
        <p data-fit="no_data" className={`${BASE} border-dashed border-slate-400 bg-white text-slate-700`}>
          No fitment data for this part: check it against your old part before buying.
        </p>
      );
    case "no_vehicle":
      return (
        <p data-fit="no_vehicle" className={`${BASE} border-slate-300 bg-white text-slate-700`}>
          Add your vehicle to check fit
        </p>
      );
    case "loading":
      return (
        <p data-fit="loading" className={`${BASE} border-slate-200 bg-white text-slate-600`} aria-busy="true">
          Checking fit…
        </p>
      );
    case "error":
      return (
        <p data-fit="error" role="alert" className={`${BASE} border-red-300 bg-white text-red-800`}>
          Could not check fit: {state.message}
        </p>
      );
  }
}
