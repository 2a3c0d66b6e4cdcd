// Small pieces every console page uses. Text from agents, suppliers and customers is
// always rendered as text (React escapes it); JSON is shown pretty-printed in <pre>.
import type { ReactNode } from "react";
import { Link } from "react-router";

export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-center justify-between gap-2">
      <h1 className="text-2xl font-bold">{children}</h1>
      {actions}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="text-slate-700">
      Loading {what}…
    </p>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p role="alert" className="rounded-md bg-red-50 p-3 text-red-800">
      {message}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="rounded-md border border-dashed border-slate-400 p-4 text-slate-700">{children}</p>;
}

export function Card({ children, className = "" }: { children: ReactNode; className?: string }) {
  return <section className={`min-w-0 rounded-lg border border-slate-300 bg-white p-4 ${className}`}>{children}</section>;
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre aria-label={label} tabIndex={0} className="max-h-96 overflow-auto rounded-md bg-slate-100 p-3 text-sm whitespace-pre-wrap break-words">
      {value === undefined ? "—" : JSON.stringify(value, null, 2)}
    </pre>
  );
}

const TONES: Record<string, string> = {
  completed: "bg-green-100 text-green-900",
  approved: "bg-green-100 text-green-900",
  edited: "bg-green-100 text-green-900",
  accepted: "bg-green-100 text-green-900",
  applied: "bg-green-100 text-green-900",
  running: "bg-blue-100 text-blue-900",
  leased: "bg-blue-100 text-blue-900",
  pending: "bg-slate-200 text-slate-900",
  waiting: "bg-amber-100 text-amber-900",
  open: "bg-amber-100 text-amber-900",
  held: "bg-amber-100 text-amber-900",
  failed: "bg-red-100 text-red-900",
  dead: "bg-red-100 text-red-900",
  rejected: "bg-red-100 text-red-900",
  cancelled: "bg-slate-200 text-slate-900",
};

export function Status({ value }: { value: string }) {
  return <span className={`inline-block rounded px-2 py-0.5 text-sm font-medium ${TONES[value] ?? "bg-slate-200 text-slate-900"}`}>{value}</span>;
}

export function TextLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Link to={to} className="text-blue-800 underline hover:text-blue-950">
      {children}
    </Link>
  );
}

export const buttonClass = "min-h-11 rounded-md px-4 font-semibold disabled:opacity-60";
export const primary = `${buttonClass} bg-blue-700 text-white hover:bg-blue-800`;
export const secondary = `${buttonClass} border border-slate-400 bg-white text-slate-900 hover:bg-slate-100`;
export const danger = `${buttonClass} bg-red-700 text-white hover:bg-red-800`;
export const inputClass = "min-h-11 rounded-md border border-slate-400 bg-white px-3";

/** "3 min", "2 h", "4 d": how long ago, for ages in queues. */
export function age(since: string | Date, now = Date.now()): string {
  return duration((now - new Date(since).getTime()) / 1000);
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, seconds);
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

export function when(at: string | null | undefined): string {
  return at ? new Date(at).toLocaleString() : "—";
}

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`;
}
