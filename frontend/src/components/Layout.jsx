import { useEffect, useRef } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigation } from "react-router";
import { FooterContact } from "./CampaignContact.jsx";

function StarIcon() {
  return (
    <svg className="brand__star" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M12 2l2.9 6.6 7.1.6-5.4 4.7 1.6 7-6.2-3.7-6.2 3.7 1.6-7L2 9.2l7.1-.6z" />
    </svg>
  );
}

const navClass = ({ isActive }) => (isActive ? "site-nav__link is-active" : "site-nav__link");

export function Layout() {
  const { pathname } = useLocation();
  // While the next page's data loads, the current page stays, marked busy.
  const loading = useNavigation().state === "loading";
  const mainRef = useRef(null);
  const previousPath = useRef(pathname);

  // After a client-side navigation, start the next page at the top and move
  // focus to its content, as a full page load would for keyboard and
  // screen-reader users.
  useEffect(() => {
    if (previousPath.current === pathname) return;
    previousPath.current = pathname;
    window.scrollTo(0, 0);
    mainRef.current?.focus({ preventScroll: true });
  }, [pathname]);

  const onFilms = pathname === "/" || pathname.startsWith("/films/");

  return (
    <>
      <header className="site-header">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <div className="container site-header__inner">
          <Link to="/" className="brand">
            <StarIcon />
            <span>Xmas Films</span>
          </Link>
          <nav className="site-nav" aria-label="Main">
            <ul>
              <li>
                <NavLink to="/" end className={() => navClass({ isActive: onFilms })}>
                  Films
                </NavLink>
              </li>
              <li>
                <NavLink to="/cinemas" className={navClass}>
                  Cinemas
                </NavLink>
              </li>
            </ul>
          </nav>
        </div>
      </header>
      <main
        id="main"
        ref={mainRef}
        tabIndex={-1}
        className={loading ? "container site-main site-main--loading" : "container site-main"}
        aria-busy={loading}
      >
        <Outlet />
      </main>
      <footer className="site-footer">
        <div className="container">
          <p>Free Christmas film tickets, while seats last. All times are UK time.</p>
          <FooterContact />
          <p className="site-footer__links">
            <Link to="/privacy">Privacy notice</Link>
          </p>
        </div>
      </footer>
    </>
  );
}
