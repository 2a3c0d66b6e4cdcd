// The fit check for a part and the current vehicle (shared by the list and the product
// page through the query cache), and answering its question to narrow the vehicle.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { useGarage } from "../garage/GarageProvider";
import { fitRequest, narrow, vehicleLabel, type GarageVehicle } from "../garage/vehicle";
import { fitState, type FitState } from "./fitState";

export function useFitCheck(partId: number, fitClass: string, vehicle: GarageVehicle | null) {
  return useQuery({
    queryKey: ["fit", partId, vehicle?.key ?? null],
    enabled: vehicle !== null && fitClass === "vehicle_specific",
    staleTime: 5 * 60_000,
    queryFn: async () =>
      unwrap(await api.POST("/api/fit-check", { body: fitRequest(vehicle as GarageVehicle, partId) })),
  });
}

export function useFit(partId: number, fitClass: string) {
  const { current } = useGarage();
  const check = useFitCheck(partId, fitClass, current);
  const state: FitState = fitState(fitClass, current ? vehicleLabel(current) : null, check);
  return { state, check };
}

/** Answers a fit question: the current vehicle, narrowed, replaces itself in the garage. */
export function useAnswer() {
  const { current, save } = useGarage();
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ attribute, value }: { attribute: string; value: string }) => {
      if (!current) throw new Error("no vehicle");
      const query = { year: current.year, make: current.make, model: current.model };
      const configurations = await client.fetchQuery({
        queryKey: ["configurations", String(query.year), query.make, query.model],
        staleTime: Infinity,
        queryFn: async () => unwrap(await api.GET("/api/vehicles/configurations", { params: { query } })),
      });
      return { before: current.key, after: narrow(current, { [attribute]: value }, configurations) };
    },
    onSuccess: ({ before, after }) => save(after, before),
  });
}
