// Part types grouped by system, from the catalog's vocabulary (generated with the client).
import partTypes from "../../api/part-types.json";

export interface PartTypeInfo {
  slug: string;
  name: string;
  category: string;
}

const BY_SLUG = new Map<string, PartTypeInfo>(partTypes.map((t) => [t.slug, t]));

export function partTypeName(slug: string): string {
  return BY_SLUG.get(slug)?.name ?? slug.replace(/-/g, " ");
}

/** Facet values (part type slug → count) grouped by category, categories by name. */
export function groupByCategory(
  facet: { value: string; count: number }[],
): { category: string; types: { slug: string; name: string; count: number }[] }[] {
  const groups = new Map<string, { slug: string; name: string; count: number }[]>();
  for (const { value, count } of facet) {
    const info = BY_SLUG.get(value);
    const category = info?.category ?? "Other";
    const list = groups.get(category) ?? [];
    list.push({ slug: value, name: info?.name ?? partTypeName(value), count });
    groups.set(category, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([category, types]) => ({ category, types: types.sort((a, b) => a.name.localeCompare(b.name)) }));
}
