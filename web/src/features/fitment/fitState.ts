// The fit states a shopper sees, from the part's fit class and the API's fit check.
// Never more certainty than the data has: no fitment data is its own state, not "fits".
import type { FitCheck } from "../../api/client";
import { liters } from "../../lib/format";

export type FitState =
  | { kind: "fits"; vehicle: string }
  | { kind: "does_not_fit"; vehicle: string; reason: string }
  | { kind: "check"; vehicle: string; attribute: string; question: string; options: { value: string; label: string }[] }
  | { kind: "universal"; label: string }
  | { kind: "no_data" }
  | { kind: "no_vehicle" }
  | { kind: "loading" }
  | { kind: "error"; message: string };

const QUESTIONS: Record<string, string> = {
  submodel: "Which submodel (trim)?",
  engine_liters: "Which engine?",
  engine_cylinders: "How many cylinders?",
  engine_code: "Which engine code?",
  fuel: "Which fuel type?",
  aspiration: "Which engine aspiration?",
  drive: "Which drive type?",
  body: "Which body style?",
  transmission: "Which transmission?",
};

export function optionLabel(attribute: string, value: string): string {
  if (attribute === "engine_liters") return liters(value) ?? value;
  if (attribute === "engine_cylinders") return `${value} cylinders`;
  return value;
}

export function fitState(
  fitClass: string,
  vehicle: string | null,
  check: { data?: FitCheck; isPending?: boolean; error?: Error | null } = {},
): FitState {
  if (fitClass === "universal") return { kind: "universal", label: "Universal fit" };
  if (fitClass === "non_vehicle") return { kind: "universal", label: "Not vehicle-specific" };
  if (fitClass === "no_fitment") return { kind: "no_data" };
  if (vehicle === null) return { kind: "no_vehicle" };
  if (check.error) return { kind: "error", message: check.error.message };
  const result = check.data;
  if (!result) return { kind: "loading" };
  switch (result.verdict) {
    case "fits":
      return { kind: "fits", vehicle };
    case "does_not_fit":
      return { kind: "does_not_fit", vehicle, reason: result.explanation };
    case "need_more_information": {
      const attribute = result.ask_next ?? "submodel";
      return {
        kind: "check",
        vehicle,
        attribute,
        question: QUESTIONS[attribute] ?? `Which ${attribute.replace(/_/g, " ")}?`,
        options: result.ask_options.map((o) => ({ value: o, label: optionLabel(attribute, o) })),
      };
    }
  }
}
