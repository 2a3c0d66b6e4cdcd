import type { LineItem } from "./cart";

const LOOK: Record<string, { label: string; tone: string }> = {
  fits: { label: "Fits", tone: "bg-green-100 text-green-900" },
  universal: { label: "Universal fit", tone: "bg-slate-200 text-slate-900" },
  not_applicable: { label: "Not vehicle-specific", tone: "bg-slate-200 text-slate-900" },
  does_not_fit: { label: "Doesn't fit", tone: "bg-slate-300 text-slate-900" },
  need_more_information: { label: "Check fit", tone: "bg-amber-100 text-amber-900" },
  unverified: { label: "No fitment data", tone: "bg-amber-100 text-amber-900" },
  not_checked: { label: "Fit not checked", tone: "bg-slate-200 text-slate-900" },
};

/** The fit of a cart or order line, checked again against the cart's vehicle. */
export function LineFit({ status, note }: { status: string | null | undefined; note?: string | null | undefined }) {
  if (!status) return null;
  const look = LOOK[status] ?? { label: status, tone: "bg-slate-200 text-slate-900" };
  return (
    <p className="text-sm" data-fit-status={status}>
      <span className={`mr-2 rounded px-2 py-0.5 font-medium ${look.tone}`}>{look.label}</span>
      {note}
    </p>
  );
}

export function needsAcknowledging(lines: LineItem[]): boolean {
  return lines.some((l) => l.fit && ["does_not_fit", "need_more_information", "unverified"].includes(l.fit.status));
}
