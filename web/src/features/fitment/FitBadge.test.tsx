import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { FitCheck } from "../../api/client";
import { FitBadge } from "./FitBadge";
import { fitState } from "./fitState";

const check = (over: Partial<FitCheck>): FitCheck => ({
  verdict: "fits",
  explanation: "Bosch 123 fits the 2015 Honda Civic.",
  confidence: 0.95,
  ask_next: null,
  ask_options: [],
  evidence: [],
  verify: [],
  matching_vehicle_ids: [],
  ...over,
});
const CIVIC = "2015 Honda Civic";

describe("fit badge", () => {
  it("says fits, in green words naming the vehicle", () => {
    render(<FitBadge state={fitState("vehicle_specific", CIVIC, { data: check({}) })} />);
    expect(screen.getByText(/Fits your 2015 Honda Civic/)).toHaveAttribute("data-fit", "fits");
  });

  it("says doesn't fit, with what differs", () => {
    const state = fitState("vehicle_specific", CIVIC, {
      data: check({ verdict: "does_not_fit", explanation: "fits only with engine liters 2.0" }),
    });
    render(<FitBadge state={state} />);
    expect(screen.getByText(`Doesn't fit your ${CIVIC}`)).toBeInTheDocument();
    expect(screen.getByText("fits only with engine liters 2.0")).toBeInTheDocument();
  });

  it("asks the one question inline and hands back the answer", async () => {
    const onAnswer = vi.fn();
    const state = fitState("vehicle_specific", CIVIC, {
      data: check({ verdict: "need_more_information", ask_next: "engine_liters", ask_options: ["1.8", "2.0"] }),
    });
    render(<FitBadge state={state} onAnswer={onAnswer} />);
    expect(screen.getByText(/Check fit: Which engine\?/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "2.0L" }));
    expect(onAnswer).toHaveBeenCalledWith("engine_liters", "2.0");
  });

  it("is neutral for universal parts and plain about missing fitment data", () => {
    const { rerender } = render(<FitBadge state={fitState("universal", CIVIC)} />);
    expect(screen.getByText("Universal fit")).toHaveAttribute("data-fit", "universal");
    rerender(<FitBadge state={fitState("no_fitment", CIVIC)} />);
    expect(screen.getByText(/No fitment data/)).toHaveAttribute("data-fit", "no_data");
    rerender(<FitBadge state={fitState("vehicle_specific", null)} />);
    expect(screen.getByText("Add your vehicle to check fit")).toBeInTheDocument();
  });

  it("shows supplier text as text, never as HTML", () => {
    const state = fitState("vehicle_specific", CIVIC, {
      data: check({ verdict: "does_not_fit", explanation: "<img src=x onerror=alert(1)>" }),
    });
    const { container } = render(<FitBadge state={state} />);
    expect(container.querySelector("img")).toBeNull();
    expect(screen.getByText("<img src=x onerror=alert(1)>")).toBeInTheDocument();
  });
});
