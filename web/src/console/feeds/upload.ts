// A supplier's feed file sent as the request body of POST /api/admin/feeds/upload.
// XMLHttpRequest rather than fetch: only XHR reports upload progress. The file goes as it
// is (application/octet-stream), never read into memory here; a 401 refreshes the
// session once and sends it again, as every other console call does.
import { ApiError } from "../../api/client";
import type { components } from "../../api/schema";
import { accessToken, refresh } from "../auth/session";

export type FeedUpload = components["schemas"]["Uploaded"];

/** The server's limit for one upload (ApiPolicy.max_upload_bytes): 200 MiB. */
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

export interface Progress {
  sent: number;
  total: number;
}

interface Answer {
  status: number;
  text: string;
}

/** "1.4 MB", "820 KB", "12 bytes": sizes as a person reads them. */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** What a refused upload tells the person: the problem's detail, with each validation
 * error's place and message, or a plain sentence for an answer that is not a problem. */
export function problemMessage(status: number, text: string): string {
  let problem: { detail?: unknown; errors?: unknown } | null = null;
  try {
    problem = JSON.parse(text) as { detail?: unknown; errors?: unknown };
  } catch {
    problem = null;
  }
  const detail = typeof problem?.detail === "string" ? problem.detail : null;
  const errors = Array.isArray(problem?.errors) ? (problem.errors as { loc?: unknown; msg?: unknown }[]) : [];
  const listed = errors
    .filter((e) => typeof e.msg === "string")
    .map((e) => {
      const where = Array.isArray(e.loc) ? e.loc.filter((p) => p !== "query" && p !== "body").join(".") : "";
      return where ? `${where}: ${String(e.msg)}` : String(e.msg);
    });
  if (status === 413) return `${detail ?? "The file is too large."} The largest feed file accepted is ${size(MAX_UPLOAD_BYTES)}.`;
  if (detail && listed.length) return `${detail} ${listed.join("; ")}.`;
  if (detail) return detail;
  if (listed.length) return `${listed.join("; ")}.`;
  if (status === 0) return "The upload did not reach the server (connection lost). Check the connection and try again.";
  return `The upload was refused (HTTP ${status}).`;
}

function send(url: string, file: Blob, onProgress: (p: Progress) => void, signal?: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    const token = accessToken();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (e) => onProgress({ sent: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
    // A 413 answered before the body was read often ends the connection: no status.
    xhr.onerror = () => resolve({ status: 0, text: "" });
    xhr.onabort = () => reject(new ApiError(0, "The upload was cancelled."));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** Upload `file` for `supplier`; the started workflow's id, or an ApiError saying why not. */
export async function uploadFeed(file: File, supplier: string, onProgress: (p: Progress) => void, signal?: AbortSignal): Promise<FeedUpload> {
  if (file.size > MAX_UPLOAD_BYTES) {
    throw new ApiError(413, `${file.name} is ${size(file.size)}; the largest feed file accepted is ${size(MAX_UPLOAD_BYTES)}. Split it and upload the parts.`);
  }
  const query = new URLSearchParams({ supplier, filename: file.name });
  const url = `${globalThis.location?.origin ?? ""}/api/admin/feeds/upload?${query.toString()}`;
  let answer = await send(url, file, onProgress, signal);
  if (answer.status === 401 && (await refresh())) answer = await send(url, file, onProgress, signal);
  if (answer.status >= 200 && answer.status < 300) return JSON.parse(answer.text) as FeedUpload;
  throw new ApiError(answer.status, problemMessage(answer.status, answer.text));
}
