import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { GarageVehicle } from "../garage/vehicle";

export interface SearchFilters {
  q?: string;
  part_type?: string;
  brand?: string;
  page?: number;
  /** Only parts that fit the vehicle (needs an exact configuration). */
  onlyFitting?: boolean;
}

export function usePartSearch(filters: SearchFilters, vehicle: GarageVehicle | null, perPage = 24) {
  const vehicleId = filters.onlyFitting && vehicle?.id ? vehicle.id : undefined;
  const query = {
    ...(filters.q ? { q: filters.q } : {}),
    ...(filters.part_type ? { part_type: filters.part_type } : {}),
    ...(filters.brand ? { brand: filters.brand } : {}),
    ...(vehicleId ? { vehicle_id: vehicleId } : {}),
    page: filters.page ?? 1,
    per_page: perPage,
  };
  return useQuery({
    queryKey: ["parts", query],
    placeholderData: keepPreviousData,
    staleTime: 60_000,
    queryFn: async () => unwrap(await api.GET("/api/parts", { params: { query } })),
  });
}
