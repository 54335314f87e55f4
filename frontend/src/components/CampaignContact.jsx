import { useCampaignContact } from "../lib/useCampaignContact.js";

const telHref = (phone) => `tel:${phone.replace(/[^\d+]/g, "")}`;

/** "call 0800 123 4567 or email bookings@… (Monday to Friday, 9am to 5pm)", from what staff filled in. */
function Reach({ contact }) {
  const phone = contact.phone && <a href={telHref(contact.phone)}>{contact.phone}</a>;
  const email = contact.email && <a href={`mailto:${contact.email}`}>{contact.email}</a>;
  return (
    <>
      {phone && <>call {phone}</>}
      {phone && email && " or "}
      {email && <>email {email}</>}
      {contact.opening_hours && ` (${contact.opening_hours})`}
    </>
  );
}

const reachable = (contact) => Boolean(contact && (contact.phone || contact.email));

/** The footer's line on how to book; nothing until staff have given a phone or an email. */
export function FooterContact() {
  const contact = useCampaignContact();
  if (!reachable(contact)) return null;
  return (
    <p className="site-footer__contact">
      To book, <Reach contact={contact} />.
    </p>
  );
}

/** The "how to book" panel's way to reach staff, with their note; nothing when there is none. */
export function BookingContact() {
  const contact = useCampaignContact();
  if (!reachable(contact)) return null;
  return (
    <span className="selection__contact">
      {" "}
      To book, <Reach contact={contact} />.{contact.text && ` ${contact.text}`}
    </span>
  );
}
