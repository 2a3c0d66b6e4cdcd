import { act, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { renderConsole } from "../../test/console";
import { FeedUploadForm } from "./FeedUploadForm";

/** An XMLHttpRequest the test answers: it records what was sent and fires the events. */
class FakeXhr {
  static sent: FakeXhr[] = [];
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: unknown = null;
  status = 0;
  responseText = "";
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: unknown) {
    this.body = body;
    FakeXhr.sent.push(this);
  }
  abort() {
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    act(() => this.upload.onprogress?.({ loaded, total, lengthComputable: true }));
  }
  async answer(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    await act(async () => this.onload?.());
  }
}

const csv = () => new File(["SKU,Brand,Part Number,Title,Cost\nA-1,Fram,PH7317,Oil Filter,4.10\n"], "acme prices.csv", { type: "text/csv" });

async function fillIn(supplier: string, file: File | null) {
  if (supplier) await userEvent.type(screen.getByLabelText("Supplier"), supplier);
  if (file) await userEvent.upload(screen.getByLabelText("Feed file"), file);
  await userEvent.click(screen.getByRole("button", { name: "Upload and import" }));
}

beforeEach(() => {
  FakeXhr.sent = [];
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
});
afterEach(() => vi.unstubAllGlobals());

describe("the feed upload form", () => {
  it("sends the file as the body with its supplier and name, shows the progress, and hands back the run", async () => {
    const onUploaded = vi.fn();
    renderConsole(<FeedUploadForm onUploaded={onUploaded} />);
    const file = csv();
    await fillIn("Acme Parts", file);
    const [xhr] = FakeXhr.sent;
    expect(xhr).toBeDefined();
    const url = new URL(xhr!.url);
    expect(xhr!.method).toBe("POST");
    expect(url.pathname).toBe("/api/admin/feeds/upload");
    expect(url.searchParams.get("supplier")).toBe("Acme Parts");
    expect(url.searchParams.get("filename")).toBe("acme prices.csv");
    expect(xhr!.headers["Content-Type"]).toBe("application/octet-stream");
    expect(xhr!.body).toBe(file); // the File itself, not read into memory

    // The browser's progress events, as a 4 MiB upload goes out.
    xhr!.progress(1024 * 1024, 4 * 1024 * 1024);
    expect(screen.getByRole("progressbar", { name: "Upload progress" })).toHaveAttribute("value", "25");
    expect(screen.getByRole("status")).toHaveTextContent("Sending acme prices.csv: 1.0 MB of 4.0 MB (25%)");
    xhr!.progress(3 * 1024 * 1024, 4 * 1024 * 1024);
    expect(screen.getByRole("progressbar", { name: "Upload progress" })).toHaveAttribute("value", "75");
    expect(screen.getByRole("button", { name: "Upload and import" })).toBeDisabled();

    const uploaded = { workflow_id: "0b8a3c1e-6f0e-4a57-9d6c-0a1f2b3c4d5e", file: "1a2b3c4d-acme_prices.csv", bytes: file.size, supplier: "Acme Parts" };
    await xhr!.answer(201, uploaded);
    expect(onUploaded).toHaveBeenCalledWith(uploaded);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("says a file is too large in the server's words (413) and keeps what was typed", async () => {
    const onUploaded = vi.fn();
    renderConsole(<FeedUploadForm onUploaded={onUploaded} />);
    await fillIn("Acme Parts", csv());
    await FakeXhr.sent[0]!.answer(413, { type: "urn:automechanica:too-large", title: "Payload Too Large", status: 413, detail: "The request body is larger than 209715200 bytes." });
    expect(screen.getByRole("alert")).toHaveTextContent("The request body is larger than 209715200 bytes. The largest feed file accepted is 200.0 MB.");
    expect(onUploaded).not.toHaveBeenCalled();
    expect(screen.getByLabelText("Supplier")).toHaveValue("Acme Parts");
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(screen.getByRole("button", { name: "Upload and import" })).toBeEnabled(); // try again
  });

  it("lists each field a 422 names, as text", async () => {
    renderConsole(<FeedUploadForm onUploaded={() => {}} />);
    await fillIn("Acme", csv());
    await FakeXhr.sent[0]!.answer(422, {
      type: "urn:automechanica:invalid-request",
      title: "Unprocessable Content",
      status: 422,
      detail: "The request is not valid.",
      errors: [{ loc: ["query", "supplier"], msg: "String should have at most 100 characters <b>", type: "string_too_long" }],
    });
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("The request is not valid. supplier: String should have at most 100 characters <b>.");
    expect(alert.querySelector("b")).toBeNull();
  });

  it("asks for the supplier and the file before sending anything", async () => {
    const first = renderConsole(<FeedUploadForm onUploaded={() => {}} />);
    await fillIn("", csv());
    expect(screen.getByRole("alert")).toHaveTextContent("Name the supplier this file comes from.");
    first.unmount();
    renderConsole(<FeedUploadForm onUploaded={() => {}} />);
    await fillIn("Acme", null);
    expect(screen.getByRole("alert")).toHaveTextContent("Choose the feed file to upload.");
    expect(FakeXhr.sent).toHaveLength(0);
  });

  it("says when the connection drops mid-upload", async () => {
    renderConsole(<FeedUploadForm onUploaded={() => {}} />);
    await fillIn("Acme", csv());
    await act(async () => FakeXhr.sent[0]!.onerror?.());
    expect(screen.getByRole("alert")).toHaveTextContent("The upload did not reach the server (connection lost).");
  });
});
