import { useEffect, useSyncExternalStore } from "react";
import { refresh, snapshot, subscribe, type SessionState } from "./session";

/** The session, restored once from the refresh cookie when the console opens. */
export function useSession(): SessionState {
  const state = useSyncExternalStore(subscribe, snapshot, snapshot);
  useEffect(() => {
    if (snapshot().status === "checking") void refresh();
  }, []);
  return state;
}
