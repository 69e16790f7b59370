import { useState, type FormEvent } from "react";
import { api, AppError, type Role, type User } from "../api";

/** What went wrong, in words, for each error the contract gives here. */
export function accountErrorMessage(e: AppError, mode: "sign-in" | "register"): string {
  switch (e.code) {
    case "invalid_credentials":
      return "The email or password is not right.";
    case "email_taken":
      return "There is already an account with this email. Sign in instead.";
    case "rate_limited":
      return "Too many attempts from here. Wait a minute and try again.";
    case "invalid_input":
      // The server names the field and the rule ("Choose a password of 8 to 256 characters.").
      return e.message;
    default:
      return mode === "register" ? `The account could not be created: ${e.message}` : e.message;
  }
}

/** Sign in, or create an account on the server and sign in with it. */
export function SignIn(props: { defaultServer: string; defaultEmail: string; onSignedIn: (user: User) => void; purpose?: string }) {
  const [mode, setMode] = useState<"sign-in" | "register">("sign-in");
  const [server, setServer] = useState(props.defaultServer);
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("learner");
  const [email, setEmail] = useState(props.defaultEmail);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // A server over plain http that is not this machine: said, and asked.
  const [insecure, setInsecure] = useState<string | null>(null);
  const [acceptHttp, setAcceptHttp] = useState(false);
  const registering = mode === "register";

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (insecure && acceptHttp) await api.allowHttp(server);
      const user = registering ? await api.register(server, name.trim(), email, password, role) : await api.signIn(server, email, password);
      props.onSignedIn(user);
    } catch (err) {
      const e = err as AppError;
      if (e.code === "insecure_server") {
        setInsecure(e.message);
        setAcceptHttp(false);
      } else setError(accountErrorMessage(e, mode));
    } finally {
      setBusy(false);
    }
  };

  const switchMode = () => {
    setMode(registering ? "sign-in" : "register");
    setError(null);
  };

  return (
    <form className="card narrow" onSubmit={submit} aria-labelledby="signin-title" data-testid={registering ? "register-form" : "signin-form"}>
      <h1 id="signin-title">{registering ? "Create an account" : "Sign in"}</h1>
      {props.purpose && <p className="hint" data-testid="signin-purpose">{props.purpose}</p>}
      {/* The web client's server is the one that served the page. */}
      {api.kind === "desktop" && (
        <label>
          Server
          <input
            name="server"
            type="url"
            value={server}
            onChange={(e) => {
              setServer(e.target.value);
              setInsecure(null);
            }}
            required
          />
        </label>
      )}
      {insecure && (
        <div className="notice error" role="alert" data-testid="insecure-server">
          <p>{insecure}</p>
          <label className="check">
            <input type="checkbox" checked={acceptHttp} onChange={(e) => setAcceptHttp(e.target.checked)} data-testid="accept-http" /> Connect without encryption anyway
          </label>
        </div>
      )}
      {registering && (
        <>
          <label>
            Your name
            <input name="name" autoComplete="name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} required autoFocus />
          </label>
          <fieldset className="roles">
            <legend>I am a</legend>
            <label className="check">
              <input type="radio" name="role" value="learner" checked={role === "learner"} onChange={() => setRole("learner")} /> Learner
            </label>
            <label className="check">
              <input type="radio" name="role" value="mentor" checked={role === "mentor"} onChange={() => setRole("mentor")} /> Mentor
            </label>
          </fieldset>
        </>
      )}
      <label>
        Email
        <input name="email" type="email" autoComplete="username" value={email} maxLength={254} onChange={(e) => setEmail(e.target.value)} required autoFocus={!registering} />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete={registering ? "new-password" : "current-password"}
          value={password}
          minLength={registering ? 8 : undefined}
          maxLength={256}
          onChange={(e) => setPassword(e.target.value)}
          required
          aria-describedby={registering ? "password-rule" : undefined}
        />
      </label>
      {registering && <p id="password-rule" className="hint">At least 8 characters.</p>}
      {error && <p className="error" role="alert" data-testid="signin-error">{error}</p>}
      <button className="primary" type="submit" disabled={busy || (insecure !== null && !acceptHttp)} data-testid="account-submit">
        {registering ? (busy ? "Creating the account…" : "Create the account") : busy ? "Signing in…" : "Sign in"}
      </button>
      <p className="switch">
        {registering ? "Already have an account? " : "New here? "}
        <button type="button" className="link" onClick={switchMode} data-testid="switch-account-mode">
          {registering ? "Sign in" : "Create an account"}
        </button>
      </p>
    </form>
  );
}
