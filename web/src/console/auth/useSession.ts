import { useSessionState, type SessionState } from "../../lib/auth";
import { consoleSession } from "./session";

/** The session, restored once from the refresh cookie when the console opens. */
export function useSession(): SessionState {
  return useSessionState(consoleSession);
}
