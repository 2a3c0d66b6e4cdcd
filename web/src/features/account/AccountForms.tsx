// Sign in and create an account: labelled fields, a mistake said next to its field and
// announced (role="alert"), focus moved to the first field to fix. What was typed stays.
import { useId, useRef, useState, type FormEvent, type InputHTMLAttributes, type ReactNode, type Ref, type RefObject } from "react";
import { api, ApiError } from "../../api/client";
import type { Me } from "../../lib/auth";
import { shopSession } from "./session";

/** The API's rule (accounts.users.EMAIL), so most mistakes are caught before sending. */
const EMAIL = /^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{2,63}$/;
export const MIN_PASSWORD = 12;
const MAX_PASSWORD = 256;

type Field = "email" | "password" | "name";
type Problems = Partial<Record<Field | "form", string>>;

const inputClass = "min-h-11 w-full rounded-md border border-slate-400 bg-white px-3 text-base aria-invalid:border-red-700";

function TextField(props: {
  id: string;
  label: string;
  hint?: string;
  error?: string | undefined;
  inputRef?: Ref<HTMLInputElement>;
  input: InputHTMLAttributes<HTMLInputElement>;
}) {
  const described = [props.hint && `${props.id}-hint`, props.error && `${props.id}-error`].filter(Boolean).join(" ");
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={props.id} className="font-medium">
        {props.label}
      </label>
      {props.hint && (
        <p id={`${props.id}-hint`} className="text-sm text-slate-700">
          {props.hint}
        </p>
      )}
      <input
        id={props.id}
        ref={props.inputRef}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={described || undefined}
        className={inputClass}
        {...props.input}
      />
      {props.error && (
        <p id={`${props.id}-error`} className="text-sm text-red-800">
          {props.error}
        </p>
      )}
    </div>
  );
}

function Alert({ children }: { children: ReactNode }) {
  return (
    <p role="alert" className="rounded-md bg-red-50 p-3 text-red-900">
      {children}
    </p>
  );
}

function checkEmail(email: string): string | undefined {
  if (!email) return "Enter your email address.";
  if (!EMAIL.test(email)) return "Enter an email address like name@example.com.";
  return undefined;
}

/** Focus the first field with a problem, so a keyboard or screen-reader user lands on it. */
function useFocusFirst(refs: Partial<Record<Field, RefObject<HTMLInputElement | null>>>) {
  return (problems: Problems) => {
    for (const field of ["name", "email", "password"] as const) {
      if (problems[field]) {
        refs[field]?.current?.focus();
        return;
      }
    }
  };
}

/** Email and password; the server's refusal in words (wrong password, too many tries). */
export function SignInForm({ onSignedIn }: { onSignedIn: (user: Me) => void }) {
  const id = useId();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  const refs = { email: useRef<HTMLInputElement>(null), password: useRef<HTMLInputElement>(null) };
  const focusFirst = useFocusFirst(refs);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found: Problems = { email: checkEmail(email.trim()), password: password ? undefined : "Enter your password." };
    if (found.email || found.password) {
      setProblems(found);
      focusFirst(found);
      return;
    }
    setProblems({});
    setBusy(true);
    try {
      const user = await shopSession.login(email.trim(), password);
      setPassword("");
      onSignedIn(user);
    } catch (exc) {
      setProblems({ form: exc instanceof ApiError ? exc.message : "The store could not be reached. Check your connection and try again." });
      refs.password.current?.focus();
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-labelledby={`${id}-title`} className="flex flex-col gap-4">
      <h2 id={`${id}-title`} className="text-xl font-semibold">
        Sign in
      </h2>
      {problems.form && <Alert>{problems.form}</Alert>}
      {(problems.email || problems.password) && <Alert>Check the highlighted fields.</Alert>}
      <TextField
        id={`${id}-email`}
        label="Email"
        error={problems.email}
        inputRef={refs.email}
        input={{ type: "email", autoComplete: "username", value: email, onChange: (e) => setEmail(e.target.value), required: true }}
      />
      <TextField
        id={`${id}-password`}
        label="Password"
        error={problems.password}
        inputRef={refs.password}
        input={{ type: "password", autoComplete: "current-password", value: password, onChange: (e) => setPassword(e.target.value), required: true }}
      />
      <button type="submit" disabled={busy} className="min-h-11 rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800 disabled:opacity-60">
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

interface FieldProblem {
  loc?: unknown[];
  msg?: string;
}

/** The server's 422 mapped to the fields it names ('body', 'password' → password). */
function fromValidation(body: unknown): Problems {
  const found: Problems = {};
  const errors = (body as { errors?: FieldProblem[] } | null)?.errors ?? [];
  for (const error of errors) {
    const field = error.loc?.[error.loc.length - 1];
    if (field === "email") found.email ??= "Enter an email address like name@example.com.";
    else if (field === "password") found.password ??= `Use ${MIN_PASSWORD} to ${MAX_PASSWORD} characters.`;
    else if (field === "name") found.name ??= "Use at most 200 characters.";
  }
  if (!found.email && !found.password && !found.name) {
    const detail = (body as { detail?: unknown } | null)?.detail;
    found.form = typeof detail === "string" ? detail : "The account could not be created. Check the fields and try again.";
  }
  return found;
}

/** A customer account (email, password of 12+ characters, an optional name); signed in
 * at once. An email that has an account already is told to sign in instead. */
export function RegisterForm({ onSignedIn, signInLink }: { onSignedIn: (user: Me) => void; signInLink?: ReactNode }) {
  const id = useId();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problems, setProblems] = useState<Problems>({});
  const [exists, setExists] = useState(false);
  const [busy, setBusy] = useState(false);
  const refs = { name: useRef<HTMLInputElement>(null), email: useRef<HTMLInputElement>(null), password: useRef<HTMLInputElement>(null) };
  const focusFirst = useFocusFirst(refs);

  function check(): Problems {
    const found: Problems = {};
    const mail = checkEmail(email.trim());
    if (mail) found.email = mail;
    if (password.length < MIN_PASSWORD)
      found.password = `The password has ${password.length} character${password.length === 1 ? "" : "s"}; use at least ${MIN_PASSWORD} (a few unrelated words make a good one).`;
    else if (password.length > MAX_PASSWORD) found.password = `Use at most ${MAX_PASSWORD} characters.`;
    if (name.trim().length > 200) found.name = "Use at most 200 characters.";
    return found;
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setExists(false);
    const found = check();
    setProblems(found);
    if (Object.keys(found).length) {
      focusFirst(found);
      return;
    }
    setBusy(true);
    try {
      const { error, response } = await api.POST("/api/auth/register", {
        body: { email: email.trim(), password, ...(name.trim() ? { name: name.trim() } : {}) },
      });
      if (response.status === 409) {
        setExists(true);
        refs.email.current?.focus();
        return;
      }
      if (response.status === 422) {
        const mapped = fromValidation(error);
        setProblems(mapped);
        focusFirst(mapped);
        return;
      }
      if (!response.ok) {
        setProblems({ form: `The account could not be created (HTTP ${response.status}). Try again in a moment.` });
        return;
      }
      const user = await shopSession.login(email.trim(), password);
      setPassword("");
      onSignedIn(user);
    } catch (exc) {
      setProblems({ form: exc instanceof ApiError ? exc.message : "The store could not be reached. Check your connection and try again." });
    } finally {
      setBusy(false);
    }
  }

  const fieldProblems = problems.email || problems.password || problems.name;
  return (
    <form onSubmit={submit} noValidate aria-labelledby={`${id}-title`} className="flex flex-col gap-4">
      <h2 id={`${id}-title`} className="text-xl font-semibold">
        Create an account
      </h2>
      {problems.form && <Alert>{problems.form}</Alert>}
      {fieldProblems && <Alert>Check the highlighted fields.</Alert>}
      {exists && (
        <Alert>
          An account for {email.trim()} already exists. {signInLink ?? "Sign in instead."}
        </Alert>
      )}
      <TextField
        id={`${id}-name`}
        label="Name (optional)"
        error={problems.name}
        inputRef={refs.name}
        input={{ autoComplete: "name", value: name, onChange: (e) => setName(e.target.value), maxLength: 200 }}
      />
      <TextField
        id={`${id}-email`}
        label="Email"
        error={problems.email}
        inputRef={refs.email}
        input={{ type: "email", autoComplete: "email", value: email, onChange: (e) => setEmail(e.target.value), required: true }}
      />
      <TextField
        id={`${id}-password`}
        label="Password"
        hint={`At least ${MIN_PASSWORD} characters; a few unrelated words make a good one.`}
        error={problems.password}
        inputRef={refs.password}
        input={{ type: "password", autoComplete: "new-password", value: password, onChange: (e) => setPassword(e.target.value), required: true }}
      />
      <button type="submit" disabled={busy} className="min-h-11 rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800 disabled:opacity-60">
        {busy ? "Creating your account…" : "Create account"}
      </button>
    </form>
  );
}
