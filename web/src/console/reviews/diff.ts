// Current vs proposed, flattened to paths ("fields.cost.source"), so a reviewer sees
// exactly which values an approval would change.

export type Change = { path: string; kind: "changed" | "added" | "removed" | "same"; current?: string; proposed?: string };

function flatten(value: unknown, path: string, out: Map<string, string>): void {
  if (value !== null && typeof value === "object" && Object.keys(value).length > 0) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, path ? `${path}.${key}` : key, out);
    return;
  }
  out.set(path || "(value)", JSON.stringify(value) ?? "undefined");
}

export function diff(current: unknown, proposed: unknown): Change[] {
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  if (current !== null && current !== undefined) flatten(current, "", before);
  flatten(proposed, "", after);
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  return paths.map((path): Change => {
    const was = before.get(path);
    const now = after.get(path);
    if (was === undefined) return { path, kind: "added", proposed: now ?? "" };
    if (now === undefined) return { path, kind: "removed", current: was };
    return { path, kind: was === now ? "same" : "changed", current: was, proposed: now };
  });
}
