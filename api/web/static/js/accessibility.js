// The accessibility statement: the feedback contact is the deployment's (AUCTION_ACCESSIBILITY_CONTACT).

import { ACCESSIBILITY_CONTACT, t } from "./i18n.js";
import { byId, renderHeader, setTitle } from "./layout.js";

renderHeader("accessibility");
setTitle(t("Accessibility statement"));
const contact = byId("accessibility-contact");
if (ACCESSIBILITY_CONTACT) {
  contact.textContent = ACCESSIBILITY_CONTACT;
  contact.href = /^https?:\/\//.test(ACCESSIBILITY_CONTACT) ? ACCESSIBILITY_CONTACT : `mailto:${ACCESSIBILITY_CONTACT}`;
}
