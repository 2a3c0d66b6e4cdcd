/** "12.34" (the API's money) as "$12.34"; null stays null. */
export function money(amount: string | null | undefined): string | null {
  if (amount === null || amount === undefined) return null;
  const value = Number(amount);
  return Number.isFinite(value) ? `$${value.toFixed(2)}` : null;
}

/** "1.8" or 1.8 as "1.8L". */
export function liters(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? `${n.toFixed(1)}L` : null;
}
