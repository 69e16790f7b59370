import { useEffect, useState } from "react";

type Downloads = { version: string | null; notes?: string; files: { platform: string; name: string; url: string }[] };

/** `linux-x86_64-deb` in words. */
export function platformName(key: string): string {
  const [os, arch, bundle] = key.split("-");
  const system = { linux: "Linux", darwin: "macOS", windows: "Windows" }[os] ?? os;
  const kind = bundle ? { deb: "Debian/Ubuntu (.deb)", rpm: "Fedora/openSUSE (.rpm)", appimage: "AppImage", msi: "installer (.msi)", nsis: "installer (.exe)", app: "app" }[bundle] ?? bundle : null;
  return [system, kind, arch ? `(${arch})` : null].filter(Boolean).join(" ");
}

/** The desktop app's bundles, as the server's updates folder publishes them. */
export function Downloads(props: { onBack: () => void }) {
  const [downloads, setDownloads] = useState<Downloads | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    fetch("/api/downloads", { cache: "no-store" })
      .then(async (r) => (r.ok ? setDownloads(await r.json()) : setError(`The server answered ${r.status}.`)))
      .catch(() => setError("Could not reach the server."));
  }, []);

  return (
    <section className="card narrow" aria-labelledby="downloads-title" data-testid="downloads">
      <h1 id="downloads-title">Get the desktop app</h1>
      <p>The desktop app joins with one click from an invitation, keeps you signed in safely, and is light on your laptop's battery.</p>
      {error && <p className="error" role="alert">{error}</p>}
      {downloads && downloads.files.length === 0 && <p className="muted" data-testid="no-downloads">This server publishes no desktop app yet. You can join every session in the browser.</p>}
      {downloads && downloads.files.length > 0 && (
        <>
          <p className="muted">Version {downloads.version}</p>
          <ul className="downloads" data-testid="download-list">
            {downloads.files.map((f) => (
              <li key={f.platform}>
                <a href={f.url} download={f.name}>{platformName(f.platform)}</a> <span className="muted">{f.name}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <button className="link" onClick={props.onBack}>Back</button>
    </section>
  );
}
