// The shopper's session: the browser session of lib/auth.ts (the same refresh cookie
// and CSRF double submit as the console). Any account may shop; every storefront call
// that can be a signed-in customer's goes through `shopApi`, which adds the access
// token when there is one and is a plain guest call otherwise.
import { createSession, useSessionState, type SessionState } from "../../lib/auth";

export const shopSession = createSession();

/** The typed client for calls a signed-in customer makes as themselves (orders, garage, checkout). */
export const shopApi = shopSession.client;

/** The shopper's session, restored from the refresh cookie when the store opens. */
export function useShopSession(): SessionState {
  return useSessionState(shopSession);
}

/** The signed-in shopper's email, or null. */
export function useSignedInEmail(): string | null {
  const state = useShopSession();
  return state.status === "signed-in" ? state.user.email : null;
}
