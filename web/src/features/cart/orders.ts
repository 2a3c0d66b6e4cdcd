// Orders a guest placed in this browser session: the order page looks an order up by
// number + email, so the email of a just-placed order is kept in sessionStorage
// (never in the URL, which ends up in logs and history).
const KEY = "am_orders";

function read(): Record<string, string> {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? "{}") as Record<string, string>;
  } catch {
    return {};
  }
}

export function rememberOrder(number: string, email: string): void {
  sessionStorage.setItem(KEY, JSON.stringify({ ...read(), [number]: email }));
}

export function rememberedEmail(number: string): string | null {
  return read()[number] ?? null;
}
