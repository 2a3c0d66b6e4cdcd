import { describe, expect, it } from "vitest";
import { readEvents } from "./sse";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const bytes = chunks.map((c) => new TextEncoder().encode(c));
  return new ReadableStream({
    start(controller) {
      for (const b of bytes) controller.enqueue(b);
      controller.close();
    },
  });
}

describe("reading server-sent events from a fetch body", () => {
  it("joins events split across chunks, including a multi-byte character cut in two", async () => {
    const euro = new TextEncoder().encode("€"); // 3 bytes
    const head = new TextEncoder().encode('event: token\ndata: {"text": "5 ');
    const tail = new TextEncoder().encode('"}\n\nevent: done\r\ndata: {"text": "ok"}\r\n\r\n');
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array([...head, ...euro.slice(0, 1)]));
        c.enqueue(new Uint8Array([...euro.slice(1), ...tail]));
        c.close();
      },
    });
    const seen = [];
    for await (const e of readEvents(stream)) seen.push(e);
    expect(seen).toEqual([
      { event: "token", data: '{"text": "5 €"}' },
      { event: "done", data: '{"text": "ok"}' },
    ]);
  });

  it("ignores comments and blocks without data", async () => {
    const seen = [];
    for await (const e of readEvents(streamOf([": keepalive\n\n", "data: plain\n\n"]))) seen.push(e);
    expect(seen).toEqual([{ event: "message", data: "plain" }]);
  });
});
