import { useState } from "react";

const GEO_OPTIONS = { enableHighAccuracy: false, timeout: 15000, maximumAge: 10 * 60 * 1000 };

const GEO_MESSAGES = {
  unsupported: "Your browser can't share your location. Search by cinema name or town instead.",
  1: "You didn't allow this site to use your location, so we can't sort cinemas by distance. Search by cinema name or town instead, or allow location access and try again.",
  2: "Your location isn't available right now. Search by cinema name or town instead, or try again later.",
  3: "Finding your location took too long. Please try again, or search by cinema name or town.",
};

/**
 * @typedef {{status: "idle" | "locating" | "located" | "error", origin?: {lat: number, lng: number}, message?: string}} NearMe
 */

/**
 * "Near me": asks the browser for the visitor's position, once per click. The position stays in
 * the page to sort cinemas; it is never sent anywhere.
 * geo.status is "idle" | "locating" | "located" (with geo.origin {lat, lng}) | "error" (with geo.message).
 */
export function useNearMe() {
  const [geo, setGeo] = useState(/** @type {NearMe} */ ({ status: "idle" }));

  function locate() {
    if (!navigator.geolocation) {
      setGeo({ status: "error", message: GEO_MESSAGES.unsupported });
      return;
    }
    setGeo({ status: "locating" });
    navigator.geolocation.getCurrentPosition(
      ({ coords }) => setGeo({ status: "located", origin: { lat: coords.latitude, lng: coords.longitude } }),
      (error) => setGeo({ status: "error", message: GEO_MESSAGES[error?.code] ?? GEO_MESSAGES[2] }),
      GEO_OPTIONS,
    );
  }

  return { geo, locate, reset: () => setGeo({ status: "idle" }) };
}
