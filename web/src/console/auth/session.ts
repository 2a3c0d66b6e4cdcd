// The console's session: the browser session of lib/auth.ts, for staff accounts only
// (a customer signing in here is signed out again, with a reason).
import type { Role } from "../../lib/auth";
import { createSession } from "../../lib/auth";

export type { Me, Role, SessionState } from "../../lib/auth";

/** Staff only: the console is no place for a customer account. */
export const isStaff = (role: Role): boolean => role === "operator" || role === "admin";

export const consoleSession = createSession({
  admit: isStaff,
  refusal: "This is a customer account; the console is for store staff.",
});

export const { subscribe, snapshot, refresh, login, logout, accessToken, authedFetch } = consoleSession;

/** The typed client for the console's calls: every request carries the access token. */
export const adminApi = consoleSession.client;

/** For tests: forget everything. */
export const resetSession = consoleSession.reset;
