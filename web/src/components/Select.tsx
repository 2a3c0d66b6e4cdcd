// A labelled native select: the phone's own picker, full keyboard use, screen-reader names.
import { useId } from "react";

export interface Option {
  value: string;
  label: string;
}

export function Select(props: {
  label: string;
  value: string;
  options: Option[];
  onChange: (value: string) => void;
  placeholder: string;
  disabled?: boolean;
  loading?: boolean;
}) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium text-slate-700">
        {props.label}
      </label>
      <select
        id={id}
        value={props.value}
        disabled={props.disabled || props.loading}
        onChange={(e) => props.onChange(e.target.value)}
        className="min-h-11 rounded-md border border-slate-400 bg-white px-3 text-base disabled:bg-slate-100 disabled:text-slate-500"
      >
        <option value="">{props.loading ? "Loading…" : props.placeholder}</option>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}
