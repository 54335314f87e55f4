import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider } from "react-router";
import { siteRoutes } from "../routes.jsx";

/** Render the whole site at `path`, as a visitor landing on that URL. */
export function renderAt(path) {
  const user = userEvent.setup();
  const router = createMemoryRouter(siteRoutes(), { initialEntries: [path] });
  const result = render(<RouterProvider router={router} />);
  return { user, router, ...result };
}
