import { useState } from "react";
import { diff } from "./diff";

const MARK = { changed: "~", added: "+", removed: "−", same: " " } as const;
const ROW = { changed: "bg-amber-50", added: "bg-green-50", removed: "bg-red-50", same: "" } as const;

/** The proposal as a diff against what is stored now; unchanged values folded away. */
export function ReviewDiff({ current, proposed }: { current: unknown; proposed: unknown }) {
  const [all, setAll] = useState(false);
  const changes = diff(current, proposed);
  const same = changes.filter((c) => c.kind === "same").length;
  const shown = all ? changes : changes.filter((c) => c.kind !== "same");
  const isNew = current === null || current === undefined;
  return (
    <div>
      <p className="mb-2 text-sm text-slate-700">
        {isNew ? "Nothing is stored yet: every value is new." : `${changes.length - same} value(s) differ from what is stored; ${same} unchanged.`}
      </p>
      <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Current versus proposed (scrolls sideways)">
        <table className="w-full border-collapse text-sm" aria-label="Current versus proposed">
          <thead>
            <tr className="text-left">
              <th scope="col" className="w-6 p-1">
                <span className="sr-only">Change</span>
              </th>
              <th scope="col" className="p-1">
                Field
              </th>
              {!isNew && (
                <th scope="col" className="p-1">
                  Current
                </th>
              )}
              <th scope="col" className="p-1">
                Proposed
              </th>
            </tr>
          </thead>
          <tbody className="font-mono">
            {shown.map((c) => (
              <tr key={c.path} className={`${ROW[c.kind]} border-t border-slate-200 align-top`} data-change={c.kind}>
                <td className="p-1" aria-label={c.kind}>
                  {MARK[c.kind]}
                </td>
                <th scope="row" className="p-1 text-left font-normal [overflow-wrap:anywhere]">
                  {c.path}
                </th>
                {!isNew && <td className="p-1 [overflow-wrap:anywhere]">{c.current ?? "—"}</td>}
                <td className="p-1 [overflow-wrap:anywhere]">{c.proposed ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {same > 0 && (
        <button type="button" className="mt-2 text-sm text-blue-800 underline" onClick={() => setAll(!all)} aria-expanded={all}>
          {all ? "Hide unchanged values" : `Show ${same} unchanged value(s)`}
        </button>
      )}
    </div>
  );
}
