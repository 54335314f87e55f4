import { replace } from "react-router";
import { Layout } from "./components/Layout.jsx";
import { RouteError } from "./components/RouteError.jsx";
import { PageLoading } from "./components/StatusViews.jsx";
import { FilmsIntro } from "./components/FilmsIntro.jsx";
import { cinemaLoader, cinemasLoader, contactLoader, filmLoader, filmsLoader, privacyLoader } from "./loaders.js";
import { CONTACT_PATH } from "./lib/useCampaignContact.js";
import { CinemaDetailPage } from "./pages/CinemaDetailPage.jsx";
import { CinemasPage } from "./pages/CinemasPage.jsx";
import { FilmDetailPage } from "./pages/FilmDetailPage.jsx";
import { FilmsPage } from "./pages/FilmsPage.jsx";
import { NotFoundPage } from "./pages/NotFoundPage.jsx";
import { PrivacyPage } from "./pages/PrivacyPage.jsx";

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
 *   Component: import("react").ComponentType, noun: string, notFound: string}} route
 */
function detailRoute({ path, loader, shouldRevalidate, Component, noun, notFound }) {
  const Noun = noun[0].toUpperCase() + noun.slice(1);
  return {
    path,
    loader,
    shouldRevalidate,
    Component,
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
 * The pages are part of the entry script, not chunks loaded on first use: a first visit then
 * waits for one script and for the page's data, which the server preloads from the page's head
 * (backoffice/views.py), and not for a chunk requested only once the script has run.
 *
 * A function, so that every router (the app's, each test's) gets its own route objects.
 */
export function siteRoutes() {
  const filmsLoading = <PageLoading documentTitle="Films" heading={<FilmsIntro />} label="Loading films…" />;
  return [
    {
      element: <Layout />,
      children: [
        {
          index: true,
          loader: filmsLoader,
          Component: FilmsPage,
          hydrateFallbackElement: filmsLoading,
          errorElement: <RouteError documentTitle="Films" heading={<FilmsIntro />} what="the films" />,
        },
        // Redirected by its loader, not by a <Navigate> rendered on an empty page: a first visit
        // shows the film list's heading at once, and the list without a navigation after mount.
        { path: "films", loader: () => replace("/"), hydrateFallbackElement: filmsLoading },
        detailRoute({
          path: "films/:slug",
          loader: filmLoader,
          shouldRevalidate: unlessOnlyTheSearchChanged,
          Component: FilmDetailPage,
          noun: "film",
          notFound: "We couldn't find that film. It may no longer be showing in this campaign.",
        }),
        {
          path: "cinemas",
          loader: cinemasLoader,
          shouldRevalidate: unlessOnlyTheSearchChanged,
          Component: CinemasPage,
          hydrateFallbackElement: (
            <PageLoading documentTitle="Cinemas" heading={<h1>Find a cinema</h1>} label="Loading cinemas…" />
          ),
          errorElement: <RouteError documentTitle="Cinemas" heading={<h1>Find a cinema</h1>} what="the cinemas" />,
        },
        detailRoute({
          path: "cinemas/:slug",
          loader: cinemaLoader,
          Component: CinemaDetailPage,
          noun: "cinema",
          notFound: "We couldn't find that cinema. It may not be taking part in this campaign.",
        }),
        {
          path: "privacy",
          loader: privacyLoader,
          Component: PrivacyPage,
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
