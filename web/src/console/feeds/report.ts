// Reading an onboarding run (GET /api/admin/workflows/{id}): the workflow's input,
// steps' results and output are free JSON in the API's schema, so what the Feeds page
// shows is picked out here, checked field by field (anything else is left out, never
// trusted). Shapes: automechanica/orchestrator/workflows/onboarding.py (the `import`
// step's result is ImportSummary as JSON; `map_layout` gives {plan: ImportPlan} or a
// person's decision {decision, value: LayoutMapping}).
import type { components } from "../../api/schema";

type Timeline = components["schemas"]["Timeline"];

export interface RowNote {
  line: number | null;
  where: string;
  reason: string;
  raw: string;
}

export interface ImportReport {
  /** The stored report's id (its page: /console/feeds/reports/{id}); null if not given. */
  reportId: number | null;
  file: string;
  supplier: string;
  format: string;
  status: string;
  error: string | null;
  rowsRead: number;
  offers: number;
  partsCreated: number;
  partsUpdated: number;
  partsMerged: number;
  fitments: number;
  vehiclesProposed: number;
  rowsRejected: number;
  warnings: number;
  rejections: RowNote[];
  warningList: RowNote[];
  layoutReason: string | null;
}

export interface LayoutField {
  field: string;
  source: string;
  confidence: number | null;
  reason: string;
  samples: string[];
}

export interface Layout {
  /** Where it came from: "used" by the import, "decided" by a person, "proposed" by the agent. */
  origin: "used" | "decided" | "proposed";
  format: string | null;
  hasHeader: boolean | null;
  brand: string | null;
  confidence: number | null;
  unsure: string[];
  notes: string[];
  fields: LayoutField[];
  /** True when the file already used our own field names (no mapping needed). */
  ours: boolean;
  reason: string | null;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const strOrNull = (v: unknown): string | null => (typeof v === "string" ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

function rowNotes(v: unknown): RowNote[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObject).map((r) => ({ line: typeof r.line === "number" ? r.line : null, where: str(r.where), reason: str(r.reason), raw: str(r.raw) }));
}

/** The import summary: the finished run's `output.import`, else the `import` step's result. */
export function importReport(run: Timeline): ImportReport | null {
  const output = isObject(run.output) ? run.output : null;
  const step = run.steps.find((s) => s.step_key === "import");
  const raw = output && isObject(output.import) ? output.import : isObject(step?.result) ? step.result : null;
  if (!raw) return null;
  return {
    reportId: typeof raw.report_id === "number" ? raw.report_id : null,
    file: str(raw.file_name),
    supplier: str(raw.supplier),
    format: str(raw.format),
    status: str(raw.status),
    error: strOrNull(raw.error),
    rowsRead: num(raw.rows_read),
    offers: num(raw.offers),
    partsCreated: num(raw.parts_created),
    partsUpdated: num(raw.parts_updated),
    partsMerged: num(raw.parts_merged),
    fitments: num(raw.fitments),
    vehiclesProposed: num(raw.vehicles_proposed),
    rowsRejected: num(raw.rows_rejected),
    warnings: num(raw.warnings),
    rejections: rowNotes(raw.rejections),
    warningList: rowNotes(raw.warning_list),
    layoutReason: strOrNull(raw.layout_reason),
  };
}

function readLayout(raw: unknown, origin: Layout["origin"], reason: string | null): Layout | null {
  if (!isObject(raw)) return null;
  const fields = isObject(raw.fields) ? raw.fields : {};
  return {
    origin,
    format: strOrNull(raw.format),
    hasHeader: typeof raw.has_header === "boolean" ? raw.has_header : null,
    brand: strOrNull(raw.brand),
    confidence: typeof raw.confidence === "number" ? raw.confidence : null,
    unsure: strings(raw.unsure_fields),
    notes: strings(raw.notes),
    fields: Object.entries(fields)
      .filter((entry): entry is [string, Json] => isObject(entry[1]))
      .map(([field, f]) => ({
        field,
        source: str(f.source),
        confidence: typeof f.confidence === "number" ? f.confidence : null,
        reason: str(f.reason),
        samples: strings(f.samples),
      })),
    ours: false,
    reason,
  };
}

const OURS = (origin: Layout["origin"], reason: string | null): Layout => ({
  origin,
  format: null,
  hasHeader: null,
  brand: null,
  confidence: null,
  unsure: [],
  notes: [],
  fields: [],
  ours: true,
  reason,
});

/** The layout the run read the file by (or a person decided), else null: then the
 * proposal waits in a review (`reviewLayout`). */
export function runLayout(run: Timeline): Layout | null {
  const step = run.steps.find((s) => s.step_key === "map_layout");
  const mapped = isObject(step?.result) ? step.result : null;
  if (!mapped) return null;
  if (typeof mapped.decision === "string") {
    return readLayout(mapped.value, "decided", `${mapped.decision} by a person${typeof mapped.note === "string" && mapped.note ? `: ${mapped.note}` : ""}`);
  }
  const plan = isObject(mapped.plan) ? mapped.plan : null;
  if (!plan) return null;
  const reason = strOrNull(plan.reason);
  return plan.layout === null || plan.layout === undefined ? OURS("used", reason) : readLayout(plan.layout, "used", reason);
}

/** The agent's proposal, as an open feed.layout_mapping review holds it. */
export function reviewLayout(proposed: unknown, rationale: string | null): Layout | null {
  return readLayout(proposed, "proposed", rationale);
}

/** Done with: nothing more will change on its own. */
export const finished = (status: string): boolean => ["completed", "failed", "cancelled"].includes(status);
