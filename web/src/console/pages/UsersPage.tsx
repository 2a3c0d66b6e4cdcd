// Accounts (admins only): list, add staff or customers, reset a password, disable.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { adminApi } from "../auth/session";
import { Card, danger, ErrorNote, inputClass, Loading, PageTitle, primary, secondary, when } from "../ui/ui";

type Role = components["schemas"]["Role"];

function NewUser() {
  const queries = useQueryClient();
  const add = useMutation({
    mutationFn: async (body: components["schemas"]["NewUser"]) => unwrap(await adminApi.POST("/api/admin/users", { body })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["console", "users"] }),
  });
  return (
    <Card className="mb-4">
      <h2 className="mb-2 font-semibold">Add an account</h2>
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const data = new FormData(form);
          const name = String(data.get("name") ?? "").trim();
          add.mutate(
            { email: String(data.get("email") ?? "").trim(), role: String(data.get("role")) as Role, password: String(data.get("password") ?? ""), ...(name ? { name } : {}) },
            { onSuccess: () => form.reset() },
          );
        }}
      >
        <label className="flex flex-col gap-1">
          <span className="font-medium">Email</span>
          <input name="email" type="email" required className={inputClass} autoComplete="off" />
        </label>
        <label className="flex flex-col gap-1">
          <span className="font-medium">Name</span>
          <input name="name" maxLength={200} className={inputClass} autoComplete="off" />
        </label>
        <label className="flex flex-col gap-1">
          <span className="font-medium">Role</span>
          <select name="role" defaultValue="operator" className={inputClass}>
            <option>operator</option>
            <option>admin</option>
            <option>customer</option>
          </select>
        </label>
        <label className="flex flex-col gap-1">
          <span className="font-medium">Password (12+ characters)</span>
          <input name="password" type="password" minLength={12} maxLength={256} required className={inputClass} autoComplete="new-password" />
        </label>
        <button type="submit" className={primary} disabled={add.isPending}>
          Add
        </button>
      </form>
      {add.error && <ErrorNote error={add.error} />}
      {add.data && (
        <p role="status" className="mt-2 text-green-900">
          Added {add.data.email} ({add.data.role}).
        </p>
      )}
    </Card>
  );
}

export function UsersPage() {
  const queries = useQueryClient();
  const [resetting, setResetting] = useState<string | null>(null);
  const [password, setPassword] = useState("");
  const users = useQuery({ queryKey: ["console", "users"], queryFn: async () => unwrap(await adminApi.GET("/api/admin/users")) });
  const done = () => queries.invalidateQueries({ queryKey: ["console", "users"] });
  const disable = useMutation({
    mutationFn: async (email: string) => unwrap(await adminApi.POST("/api/admin/users/{email}/disable", { params: { path: { email } } })),
    onSuccess: done,
  });
  const reset = useMutation({
    mutationFn: async ({ email, pw }: { email: string; pw: string }) =>
      unwrap(await adminApi.POST("/api/admin/users/{email}/password", { params: { path: { email } }, body: { password: pw } })),
    onSuccess: () => {
      setResetting(null);
      setPassword("");
      return done();
    },
  });
  return (
    <>
      <PageTitle>Users</PageTitle>
      <NewUser />
      {users.isPending && <Loading what="accounts" />}
      {(users.error ?? disable.error ?? reset.error) && <ErrorNote error={users.error ?? disable.error ?? reset.error} />}
      <ul className="grid gap-2 md:grid-cols-2">
        {users.data?.map((u) => (
          <li key={u.id}>
            <Card>
              <p className="font-semibold">
                {u.email} <span className="rounded bg-slate-200 px-1.5 text-sm">{u.role}</span>
              </p>
              <p className="text-sm text-slate-700">
                {u.name ?? "no name"} · since {when(u.created_at)}
                {u.disabled_at && ` · disabled ${when(u.disabled_at)}`}
              </p>
              {!u.disabled_at && (
                <div className="mt-2 flex flex-wrap items-end gap-2">
                  {resetting === u.email ? (
                    <form
                      className="flex flex-wrap items-end gap-2"
                      onSubmit={(e) => {
                        e.preventDefault();
                        reset.mutate({ email: u.email, pw: password });
                      }}
                    >
                      <label className="flex flex-col gap-1 text-sm">
                        <span>New password for {u.email}</span>
                        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} minLength={12} required className={inputClass} autoComplete="new-password" />
                      </label>
                      <button type="submit" className={primary} disabled={reset.isPending}>
                        Set password
                      </button>
                    </form>
                  ) : (
                    <button type="button" className={secondary} onClick={() => setResetting(u.email)}>
                      Reset password
                    </button>
                  )}
                  <button type="button" className={danger} disabled={disable.isPending} onClick={() => disable.mutate(u.email)}>
                    Disable
                  </button>
                </div>
              )}
            </Card>
          </li>
        ))}
      </ul>
    </>
  );
}
