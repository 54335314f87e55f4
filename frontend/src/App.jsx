import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { Layout } from "./components/Layout.jsx";
import { CinemaDetailPage } from "./pages/CinemaDetailPage.jsx";
import { CinemasPage } from "./pages/CinemasPage.jsx";
import { FilmDetailPage } from "./pages/FilmDetailPage.jsx";
import { FilmsPage } from "./pages/FilmsPage.jsx";
import { NotFoundPage } from "./pages/NotFoundPage.jsx";

/** The site's routes, without a router: tests wrap them in a MemoryRouter. */
export function AppRoutes() {
  return (
    <Layout>
      <Routes>
        <Route path="/" element={<FilmsPage />} />
        <Route path="/films" element={<Navigate to="/" replace />} />
        <Route path="/films/:slug" element={<FilmDetailPage />} />
        <Route path="/cinemas" element={<CinemasPage />} />
        <Route path="/cinemas/:slug" element={<CinemaDetailPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </Layout>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <AppRoutes />
    </BrowserRouter>
  );
}
