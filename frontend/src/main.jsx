import { StrictMode, startTransition } from "react";
import { createRoot } from "react-dom/client";
import { createBrowserRouter, RouterProvider } from "react-router";
import { siteRoutes } from "./routes.jsx";
import "./styles.css";

// A phone spends one long task evaluating this script. Creating the router (which starts the
// first page's requests, already on their way from the page's preloads) waits for a task of its
// own, and the first render is a transition, which React renders in slices between other tasks:
// no single task then holds the main thread for long enough to count as blocking.
function start() {
  const router = createBrowserRouter(siteRoutes());
  const root = createRoot(document.getElementById("root"));
  startTransition(() =>
    root.render(
      <StrictMode>
        <RouterProvider router={router} />
      </StrictMode>,
    ),
  );
}

setTimeout(start);
