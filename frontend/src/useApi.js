import { useCallback, useEffect, useState } from "react";

/**
 * Run `load(signal)` whenever `deps` change and expose its progress as
 * {status: "loading" | "success" | "error", data, error, retry}.
 *
 * `deps` must describe everything `load` reads (like useEffect's list), and be
 * JSON-serialisable. A result is only shown for the request that produced it,
 * so moving from one film to another never flashes the previous film.
 */
export function useApi(load, deps) {
  const [attempt, setAttempt] = useState(0);
  const requestKey = `${JSON.stringify(deps)}#${attempt}`;
  const [state, setState] = useState({ key: null, status: "loading", data: undefined, error: null });

  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ key: requestKey, status: "success", data, error: null });
      },
      (error) => {
        if (!controller.signal.aborted) setState({ key: requestKey, status: "error", data: undefined, error });
      },
    );
    return () => controller.abort();
    // `load` is described by `deps`, which are part of requestKey.
  }, [requestKey]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  if (state.key !== requestKey) {
    return { status: "loading", data: undefined, error: null, retry };
  }
  return { status: state.status, data: state.data, error: state.error, retry };
}
