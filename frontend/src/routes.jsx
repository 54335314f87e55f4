import { Navigate } from "react-router";
import { Layout } from "./components/Layout.jsx";
import { RouteError } from "./components/RouteError.jsx";
import { PageLoading } from "./components/StatusViews.jsx";
import { FilmsIntro } from "./components/FilmsIntro.jsx";
import { cinemaLoader, cinemasLoader, contactLoader, filmLoader, filmsLoader, privacyLoader } from "./loaders.js";
import { CONTACT_PATH } from "./lib/useCampaignContact.js";
import { NotFoundPage } from "./pages/NotFoundPage.jsx";

// Pages load on first use, alongside their data: the first visit downloads only the router,
// the layout and the page it shows.
const page = {
  films: async () => (await import("./pages/FilmsPage.jsx")).FilmsPage,
  film: async () => (await import("./pages/FilmDetailPage.jsx")).FilmDetailPage,
  cinemas: async () => (await import("./pages/CinemasPage.jsx")).CinemasPage,
  cinema: async () => (await import("./pages/CinemaDetailPage.jsx")).CinemaDetailPage,
  privacy: async () => (await import("./pages/PrivacyPage.jsx")).PrivacyPage,
};

/**
 * A search typed into a page lives in its address (?q=) so that it survives a reload; typing it
 * only filters what the page already has, so it does not fetch the page's data again.
 */
function unlessOnlyTheSearchChanged({ currentUrl, nextUrl, defaultShouldRevalidate }) {
  const sameData = currentUrl.pathname === nextUrl.pathname && currentUrl.search !== nextUrl.search;
  return sameData ? false : defaultShouldRevalidate;
}

/**
 * A page about one film or cinema: its loading view and its error view (a 404 as "<Noun> not
 * found" with the page's own message) are worded from the noun.
 *
 * @param {{path: string, loader: (args: any) => Promise<unknown>, shouldRevalidate?: (args: any) => boolean,
 *   Component: () => Promise<import("react").ComponentType>, noun: string, notFound: string}} route
 */
function detailRoute({ path, loader, shouldRevalidate, Component, noun, notFound }) {
  const Noun = noun[0].toUpperCase() + noun.slice(1);
  return {
    path,
    loader,
    shouldRevalidate,
    lazy: { Component },
    hydrateFallbackElement: (
      <PageLoading
        documentTitle={Noun}
        heading={<h1 className="visually-hidden">{Noun} details</h1>}
        label={`Loading ${noun}…`}
      />
    ),
    errorElement: (
      <RouteError
        documentTitle={Noun}
        heading={<h1>{Noun} details</h1>}
        what={`this ${noun}`}
        notFound={{ title: `${Noun} not found`, message: notFound }}
      />
    ),
  };
}

/**
 * The site's routes. Each page's loader fetches what it shows before it renders; its
 * hydrateFallbackElement shows while a first visit loads, and its errorElement shows an API
 * 404 as the not-found page and any other failure with a Try again button.
 *
 * A function, so that every router gets its own route objects: a router marks the lazy parts
 * of its routes as loaded on the objects themselves.
 */
export function siteRoutes() {
  return [
    {
      element: <Layout />,
      children: [
        {
          index: true,
          loader: filmsLoader,
          lazy: { Component: page.films },
          hydrateFallbackElement: <PageLoading documentTitle="Films" heading={<FilmsIntro />} label="Loading films…" />,
          errorElement: <RouteError documentTitle="Films" heading={<FilmsIntro />} what="the films" />,
        },
        { path: "films", element: <Navigate to="/" replace /> },
        detailRoute({
          path: "films/:slug",
          loader: filmLoader,
          shouldRevalidate: unlessOnlyTheSearchChanged,
          Component: page.film,
          noun: "film",
          notFound: "We couldn't find that film. It may no longer be showing in this campaign.",
        }),
        {
          path: "cinemas",
          loader: cinemasLoader,
          shouldRevalidate: unlessOnlyTheSearchChanged,
          lazy: { Component: page.cinemas },
          hydrateFallbackElement: (
            <PageLoading documentTitle="Cinemas" heading={<h1>Find a cinema</h1>} label="Loading cinemas…" />
          ),
          errorElement: <RouteError documentTitle="Cinemas" heading={<h1>Find a cinema</h1>} what="the cinemas" />,
        },
        detailRoute({
          path: "cinemas/:slug",
          loader: cinemaLoader,
          Component: page.cinema,
          noun: "cinema",
          notFound: "We couldn't find that cinema. It may not be taking part in this campaign.",
        }),
        {
          path: "privacy",
          loader: privacyLoader,
          lazy: { Component: page.privacy },
          hydrateFallbackElement: (
            <PageLoading documentTitle="Privacy" heading={<h1>Privacy notice</h1>} label="Loading the privacy notice…" />
          ),
          errorElement: <RouteError documentTitle="Privacy" heading={<h1>Privacy notice</h1>} what="the privacy notice" />,
        },
        // Data for the footer and the "how to book" panels, fetched without holding up any page.
        { path: CONTACT_PATH, loader: contactLoader, shouldRevalidate: () => false, element: <NotFoundPage /> },
        { path: "*", element: <NotFoundPage /> },
      ],
    },
  ];
}
