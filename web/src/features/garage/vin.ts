// A VIN as the shopper types it: 17 characters, letters and digits but never I, O or Q.

export const VIN_LENGTH = 17;

export type VinCheck =
  | { ok: true; vin: string }
  | { ok: false; vin: string; problem: string | null };

/** Checks a VIN as typed; `problem` is null while it is merely incomplete. */
export function checkVin(input: string): VinCheck {
  const vin = input.trim().toUpperCase();
  const bad = vin.match(/[^A-Z0-9]/);
  if (bad) return { ok: false, vin, problem: `"${bad[0]}" is not allowed: letters and digits only.` };
  const ioq = vin.match(/[IOQ]/);
  if (ioq) return { ok: false, vin, problem: `VINs never contain ${ioq[0]}: is it a ${ioq[0] === "I" ? "1" : "0"}?` };
  if (vin.length > VIN_LENGTH) return { ok: false, vin, problem: `A VIN has 17 characters; this has ${vin.length}.` };
  if (vin.length < VIN_LENGTH) return { ok: false, vin, problem: null };
  return { ok: true, vin };
}
