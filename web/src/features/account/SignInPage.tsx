// /account/sign-in: sign in, or create an account (?mode=register). Afterwards the
// shopper goes where they were headed (?next=, a path of this store) or to their account,
// with the current vehicle kept.
import { useEffect, useRef } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { useVehiclePath } from "../garage/GarageProvider";
import { RegisterForm, SignInForm } from "./AccountForms";
import { useShopSession } from "./session";

/** A path inside this store, or /account: never another site (?next=//evil.example). */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/account";
}

export function SignInPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const withVehicle = useVehiclePath();
  const session = useShopSession();
  const heading = useRef<HTMLHeadingElement>(null);
  const register = params.get("mode") === "register";
  const next = safeNext(params.get("next"));
  const other = new URLSearchParams(params);
  if (register) other.delete("mode");
  else other.set("mode", "register");
  const otherLink = `/account/sign-in?${other.toString()}`;

  useEffect(() => {
    document.title = `${register ? "Create an account" : "Sign in"}: AutoMechanica`;
    heading.current?.focus(); // switching between the two forms says where the shopper is
  }, [register]);

  const done = () => navigate(withVehicle(next), { replace: true });
  if (session.status === "signed-in") return <Navigate to={withVehicle(next)} replace />;
  return (
    <div className="mx-auto flex max-w-md flex-col gap-4">
      <h1 ref={heading} tabIndex={-1} className="text-2xl font-bold outline-none">
        Your account
      </h1>
      {session.status === "signed-out" && session.reason && <p className="rounded-md bg-amber-50 p-3 text-amber-950">{session.reason}</p>}
      <p className="text-slate-700">Your orders and your garage, on any device. Checking out as a guest needs no account.</p>
      <div className="rounded-md border border-slate-300 bg-white p-4">
        {register ? (
          <RegisterForm
            onSignedIn={done}
            signInLink={
              <Link to={otherLink} className="underline">
                Sign in instead
              </Link>
            }
          />
        ) : (
          <SignInForm onSignedIn={done} />
        )}
      </div>
      <p>
        {register ? "Have an account? " : "New here? "}
        <Link to={otherLink} className="font-medium text-blue-800 underline">
          {register ? "Sign in" : "Create an account"}
        </Link>
      </p>
    </div>
  );
}
