/** A screen's list or figures could not be loaded: why, and a retry. */
export function LoadFailed(props: { message: string; onRetry: () => void }) {
  return (
    <section className="card" role="alert">
      <p className="error">{props.message}</p>
      <button onClick={props.onRetry}>Try again</button>
    </section>
  );
}
