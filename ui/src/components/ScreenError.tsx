import { Component, type ReactNode } from "react";

/** A screen that fails to draw says so, with a way back, instead of
 *  leaving the whole window blank (React unmounts a tree that throws). */
export class ScreenError extends Component<{ children: ReactNode; onBack: () => void }, { error: Error | null }> {
  state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  componentDidCatch(error: Error) {
    console.error("a screen failed", error);
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <section className="card" role="alert" data-testid="screen-error">
        <p className="error">This screen could not be shown: {this.state.error.message}</p>
        <button
          onClick={() => {
            this.setState({ error: null });
            this.props.onBack();
          }}
        >
          Back to sessions
        </button>
      </section>
    );
  }
}
