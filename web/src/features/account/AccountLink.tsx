// The header's way in: "Sign in" for a guest, "Account" when signed in.
import { Link } from "react-router";
import { useVehiclePath } from "../garage/GarageProvider";
import { useShopSession } from "./session";

export function AccountLink() {
  const session = useShopSession();
  const withVehicle = useVehiclePath();
  const signedIn = session.status === "signed-in";
  return (
    <Link
      to={withVehicle(signedIn ? "/account" : "/account/sign-in")}
      className="inline-flex min-h-11 items-center rounded-md px-3 font-semibold text-white underline-offset-4 hover:underline"
    >
      {signedIn ? "Account" : "Sign in"}
    </Link>
  );
}
