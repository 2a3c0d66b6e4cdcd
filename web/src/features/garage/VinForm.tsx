// A VIN: checked as typed (17 characters, no I, O or Q), decoded by the API to the
// exact configuration when the catalog has it.
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { api, unwrap, type Vehicle } from "../../api/client";
import { fromConfiguration, vehicleLabel, type GarageVehicle } from "./vehicle";
import { checkVin, VIN_LENGTH } from "./vin";

export function VinForm({ onPick }: { onPick: (vehicle: GarageVehicle) => void }) {
  const inputId = useId();
  const helpId = useId();
  const [text, setText] = useState("");
  const check = checkVin(text);
  const decode = useMutation({
    mutationFn: async (vin: string) =>
      unwrap(await api.GET("/api/vin/{vin}", { params: { path: { vin } } })),
  });
  const result = decode.data;
  const matches: Vehicle[] = result?.matches ?? [];

  const problem = check.ok ? null : check.problem;
  return (
    <div className="flex flex-col gap-3">
      <form
        aria-label="Find your vehicle by VIN"
        className="flex flex-col gap-1"
        onSubmit={(e) => {
          e.preventDefault();
          if (check.ok) decode.mutate(check.vin);
        }}
      >
        <label htmlFor={inputId} className="text-sm font-medium text-slate-700">
          VIN (17 characters)
        </label>
        <div className="flex gap-2">
          <input
            id={inputId}
            value={text}
            onChange={(e) => {
              setText(e.target.value.toUpperCase());
              decode.reset();
            }}
            maxLength={24}
            autoComplete="off"
            spellCheck={false}
            autoCapitalize="characters"
            aria-invalid={problem !== null}
            aria-describedby={helpId}
            className="min-h-11 w-full rounded-md border border-slate-400 px-3 font-mono text-base tracking-wider aria-[invalid=true]:border-red-700"
          />
          <button
            type="submit"
            disabled={!check.ok || decode.isPending}
            className="min-h-11 shrink-0 rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800 disabled:bg-slate-300 disabled:text-slate-600"
          >
            {decode.isPending ? "Decoding…" : "Decode"}
          </button>
        </div>
        <p id={helpId} aria-live="polite" className={problem ? "text-sm text-red-800" : "text-sm text-slate-600"}>
          {problem ?? (check.ok ? "Looks like a VIN: decode it." : `${check.vin.length} of ${VIN_LENGTH} characters`)}
        </p>
      </form>
      {decode.isError && (
        <p role="alert" className="text-red-800">
          {decode.error.message}
        </p>
      )}
      {result && (
        <div role="status" className="rounded-md border border-slate-300 bg-slate-50 p-3">
          <p>{result.message}</p>
          {result.problems.length > 0 && (
            <ul className="mt-1 list-disc pl-5 text-sm text-amber-900">
              {result.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
          <ul className="mt-2 flex flex-col gap-2">
            {matches.map((m) => {
              const vehicle = fromConfiguration(m);
              return (
                <li key={m.id}>
                  <button
                    type="button"
                    onClick={() => onPick(vehicle)}
                    className="min-h-11 w-full rounded-md bg-blue-700 px-4 text-left font-semibold text-white hover:bg-blue-800"
                  >
                    Use {vehicleLabel(vehicle)}
                    {m.transmission ? `, ${m.transmission}` : ""}
                  </button>
                </li>
              );
            })}
          </ul>
          {matches.length > 1 && <p className="mt-1 text-sm text-slate-600">Several configurations match: pick yours.</p>}
        </div>
      )}
    </div>
  );
}
