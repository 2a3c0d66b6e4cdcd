// The upload form: a supplier's name and a feed file, sent with a progress bar; the
// answer names the onboarding run the import goes on in (onUploaded). A refusal (413 too
// large, 422 a bad name or file) is said in the server's words; nothing typed is lost.
import { useId, useRef, useState } from "react";
import { ErrorNote, inputClass, primary, secondary } from "../ui/ui";
import { MAX_UPLOAD_BYTES, size, uploadFeed, type FeedUpload, type Progress } from "./upload";

const ACCEPT = ".csv,.tsv,.txt,.jsonl,.json,.xml";

export function FeedUploadForm({ onUploaded }: { onUploaded: (upload: FeedUpload) => void }) {
  const [supplier, setSupplier] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [sending, setSending] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const id = useId();

  async function submit() {
    setProblem(null);
    if (!supplier.trim()) return setProblem("Name the supplier this file comes from.");
    if (!file) return setProblem("Choose the feed file to upload.");
    if (file.size === 0) return setProblem(`${file.name} is empty.`);
    if (file.size > MAX_UPLOAD_BYTES) return setProblem(`${file.name} is ${size(file.size)}; the largest feed file accepted is ${size(MAX_UPLOAD_BYTES)}.`);
    abort.current = new AbortController();
    setSending(true);
    setProgress({ sent: 0, total: file.size });
    try {
      const done = await uploadFeed(file, supplier.trim(), setProgress, abort.current.signal);
      onUploaded(done);
    } catch (exc) {
      setProblem(exc);
      setProgress(null);
    } finally {
      setSending(false);
      abort.current = null;
    }
  }

  const share = progress && progress.total > 0 ? Math.min(100, Math.round((progress.sent / progress.total) * 100)) : 0;
  return (
    <form
      className="flex flex-col gap-3"
      aria-label="Upload a feed"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label className="flex flex-col gap-1">
        <span className="font-medium">Supplier</span>
        <input value={supplier} onChange={(e) => setSupplier(e.target.value)} maxLength={100} autoComplete="off" className={inputClass} disabled={sending} />
      </label>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-file`} className="font-medium">
          Feed file
        </label>
        <span id={`${id}-hint`} className="text-sm text-slate-700">
          CSV or tab-separated, JSON lines, PIES or ACES XML; up to {size(MAX_UPLOAD_BYTES)}.
        </span>
        <input
          id={`${id}-file`}
          type="file"
          accept={ACCEPT}
          aria-describedby={`${id}-hint`}
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          className="min-h-11 file:mr-3 file:min-h-11 file:rounded-md file:border file:border-slate-400 file:bg-white file:px-3"
          disabled={sending}
        />
      </div>
      {progress && (
        <div>
          <progress className="h-3 w-full" max={100} value={share} aria-label="Upload progress" />
          <p role="status" className="text-sm">
            {sending ? `Sending ${file?.name ?? "the file"}: ${size(progress.sent)} of ${size(progress.total)} (${share}%)` : "Sent."}
          </p>
        </div>
      )}
      {problem !== null && <ErrorNote error={problem} />}
      <div className="flex gap-2">
        <button type="submit" className={primary} disabled={sending}>
          Upload and import
        </button>
        {sending && (
          <button type="button" className={secondary} onClick={() => abort.current?.abort()}>
            Cancel upload
          </button>
        )}
      </div>
    </form>
  );
}
