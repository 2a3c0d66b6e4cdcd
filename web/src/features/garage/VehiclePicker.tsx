// Year → make → model → submodel → engine, each list from the API for the choices so
// far. A question with one answer is not asked; submodel and engine may be left for
// later ("not sure"): a part that depends on them asks then, inline.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap, type Engine } from "../../api/client";
import { Select } from "../../components/Select";
import { liters } from "../../lib/format";
import { fromConfiguration, partialVehicle, type GarageVehicle } from "./vehicle";

const NOT_SURE = "__not_sure__";

export function engineLabel(e: Engine): string {
  const size = liters(e.engine_liters);
  return (
    [size, e.engine_cylinders ? `${e.engine_cylinders}-cyl` : null, e.fuel, e.aspiration]
      .filter(Boolean)
      .join(" ") || "Engine not specified"
  );
}

export function VehiclePicker({ onPick }: { onPick: (vehicle: GarageVehicle) => void }) {
  const [year, setYear] = useState("");
  const [make, setMake] = useState("");
  const [model, setModel] = useState("");
  const [submodel, setSubmodel] = useState("");
  const [engine, setEngine] = useState("");
  const y = Number(year);
  const ymm = { year: y, make, model };

  const years = useQuery({
    queryKey: ["years"],
    queryFn: async () => unwrap(await api.GET("/api/vehicles/years")),
    staleTime: Infinity,
  });
  const makes = useQuery({
    queryKey: ["makes", year],
    enabled: year !== "",
    queryFn: async () => unwrap(await api.GET("/api/vehicles/makes", { params: { query: { year: y } } })),
    staleTime: Infinity,
  });
  const models = useQuery({
    queryKey: ["models", year, make],
    enabled: make !== "",
    queryFn: async () =>
      unwrap(await api.GET("/api/vehicles/models", { params: { query: { year: y, make } } })),
    staleTime: Infinity,
  });
  const submodels = useQuery({
    queryKey: ["submodels", year, make, model],
    enabled: model !== "",
    queryFn: async () => unwrap(await api.GET("/api/vehicles/submodels", { params: { query: ymm } })),
    staleTime: Infinity,
  });
  const onlySubmodel = submodels.data?.length === 1 ? submodels.data[0] : undefined;
  const chosenSubmodel = onlySubmodel ?? (submodel && submodel !== NOT_SURE ? submodel : undefined);
  const submodelSettled = submodels.isSuccess && (submodels.data.length <= 1 || submodel !== "");
  const engines = useQuery({
    queryKey: ["engines", year, make, model, chosenSubmodel ?? null],
    enabled: submodelSettled,
    queryFn: async () =>
      unwrap(
        await api.GET("/api/vehicles/engines", {
          params: { query: chosenSubmodel ? { ...ymm, submodel: chosenSubmodel } : ymm },
        }),
      ),
    staleTime: Infinity,
  });
  const configurations = useQuery({
    queryKey: ["configurations", year, make, model],
    enabled: model !== "",
    queryFn: async () => unwrap(await api.GET("/api/vehicles/configurations", { params: { query: ymm } })),
    staleTime: Infinity,
  });

  const engineList = engines.data ?? [];
  const chosenEngine: Engine | undefined =
    engineList.length === 1 ? engineList[0] : engine && engine !== NOT_SURE ? engineList[Number(engine)] : undefined;
  const engineSettled = engines.isSuccess && (engineList.length <= 1 || engine !== "");
  const ready = model !== "" && submodelSettled && engineSettled && configurations.isSuccess;

  function choose() {
    const configs = configurations.data ?? [];
    const attrs: Record<string, string> = {};
    if (chosenSubmodel) attrs.submodel = chosenSubmodel;
    let left = configs.filter((c) => !chosenSubmodel || c.submodel === chosenSubmodel);
    if (chosenEngine) {
      left = left.filter((c) => chosenEngine.vehicle_ids.includes(c.id));
      if (chosenEngine.engine_liters !== null) attrs.engine_liters = String(chosenEngine.engine_liters);
    }
    const only = left[0];
    onPick(left.length === 1 && only ? fromConfiguration(only) : partialVehicle(y, make, model, attrs));
  }

  const reset = (level: number) => {
    if (level <= 0) setMake("");
    if (level <= 1) setModel("");
    if (level <= 2) setSubmodel("");
    if (level <= 3) setEngine("");
  };
  const asOptions = (values: (string | number)[] | undefined) =>
    (values ?? []).map((v) => ({ value: String(v), label: String(v) }));

  return (
    <form
      aria-label="Pick your vehicle by year, make and model"
      className="grid gap-3 sm:grid-cols-2"
      onSubmit={(e) => {
        e.preventDefault();
        if (ready) choose();
      }}
    >
      <Select
        label="Year"
        placeholder="Choose a year"
        value={year}
        loading={years.isPending}
        options={asOptions(years.data)}
        onChange={(v) => {
          setYear(v);
          reset(0);
        }}
      />
      <Select
        label="Make"
        placeholder="Choose a make"
        value={make}
        disabled={year === ""}
        loading={makes.isFetching}
        options={asOptions(makes.data)}
        onChange={(v) => {
          setMake(v);
          reset(1);
        }}
      />
      <Select
        label="Model"
        placeholder="Choose a model"
        value={model}
        disabled={make === ""}
        loading={models.isFetching}
        options={asOptions(models.data)}
        onChange={(v) => {
          setModel(v);
          reset(2);
        }}
      />
      {submodels.data && submodels.data.length > 1 && (
        <Select
          label="Submodel (trim)"
          placeholder="Choose a submodel"
          value={submodel}
          options={[...asOptions(submodels.data), { value: NOT_SURE, label: "Not sure: ask me when it matters" }]}
          onChange={(v) => {
            setSubmodel(v);
            reset(3);
          }}
        />
      )}
      {engineList.length > 1 && (
        <Select
          label="Engine"
          placeholder="Choose an engine"
          value={engine}
          options={[
            ...engineList.map((e, i) => ({ value: String(i), label: engineLabel(e) })),
            { value: NOT_SURE, label: "Not sure: ask me when it matters" },
          ]}
          onChange={setEngine}
        />
      )}
      {(onlySubmodel || (engineList.length === 1 && engineList[0])) && (
        <p className="text-sm text-slate-600 sm:col-span-2">
          Only one{" "}
          {[onlySubmodel ? `submodel (${onlySubmodel})` : null, engineList.length === 1 && engineList[0] ? `engine (${engineLabel(engineList[0])})` : null]
            .filter(Boolean)
            .join(" and one ")}{" "}
          for this model: nothing more to ask.
        </p>
      )}
      {submodels.isError && <p role="alert" className="text-red-800 sm:col-span-2">{submodels.error.message}</p>}
      <div className="sm:col-span-2">
        <button
          type="submit"
          disabled={!ready}
          className="min-h-11 w-full rounded-md bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800 disabled:bg-slate-300 disabled:text-slate-600 sm:w-auto"
        >
          Use this vehicle
        </button>
      </div>
    </form>
  );
}
