import { useState, type FormEvent } from "react";
import { api, AppError, type User } from "../api";

export function SignIn(props: { defaultServer: string; defaultEmail: string; onSignedIn: (user: User) => void }) {
  const [server, setServer] = useState(props.defaultServer);
  const [email, setEmail] = useState(props.defaultEmail);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onSignedIn(await api.signIn(server, email, password));
    } catch (err) {
      const e = err as AppError;
      setError(e.code === "invalid_credentials" ? "The email or password is not right." : e.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card narrow" onSubmit={submit} aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      <label>
        Server
        <input name="server" type="url" value={server} onChange={(e) => setServer(e.target.value)} required />
      </label>
      <label>
        Email
        <input name="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
      </label>
      {error && <p className="error" role="alert" data-testid="signin-error">{error}</p>}
      <button className="primary" type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
    </form>
  );
}
