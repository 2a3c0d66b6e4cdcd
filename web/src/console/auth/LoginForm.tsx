import { useId, useState, type FormEvent } from "react";
import { ApiError } from "../../api/client";
import { login, type Me } from "./session";

/** Email and password; the server's refusal said in words, next to the form. */
export function LoginForm({ onSignedIn, notice }: { onSignedIn?: (user: Me) => void; notice?: string | undefined }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (!email.trim() || !password) {
      setError("Enter your email and password.");
      return;
    }
    setBusy(true);
    try {
      const user = await login(email.trim(), password);
      setPassword("");
      onSignedIn?.(user);
    } catch (exc) {
      setError(exc instanceof ApiError ? exc.message : "The server could not be reached. Try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-describedby={error ? `${id}-error` : undefined}>
      {notice && !error && <p className="rounded-md bg-amber-50 p-3 text-amber-900">{notice}</p>}
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-email`} className="font-medium">
          Email
        </label>
        <input
          id={`${id}-email`}
          type="email"
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          className="min-h-11 rounded-md border border-slate-400 px-3"
          required
        />
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-password`} className="font-medium">
          Password
        </label>
        <input
          id={`${id}-password`}
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          className="min-h-11 rounded-md border border-slate-400 px-3"
          required
        />
      </div>
      {error && (
        <p id={`${id}-error`} role="alert" className="rounded-md bg-red-50 p-3 text-red-800">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy} className="min-h-11 rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800 disabled:opacity-60">
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
