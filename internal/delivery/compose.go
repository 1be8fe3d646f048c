package delivery

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/channel/email"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/token"
)

// link returns BaseURL + path + a token for (shop, object, purpose), or ""
// when no signer is wired.
func (s *Service) link(p token.Purpose, path, shopID, objectID string) string {
	if s.Signer == nil || objectID == "" {
		return ""
	}
	tok, err := s.Signer.Sign(token.Claims{Purpose: p, ShopID: shopID, ObjectID: objectID})
	if err != nil {
		return ""
	}
	return s.BaseURL + path + tok
}

// identity is the sender a message names (特定電子メール法): the shop's
// sender name, postal address and a contact.
func identity(sh shop.Shop) channel.Identity {
	id := channel.Identity{Name: sh.SenderName, Address: sh.PostalAddress, Contact: sh.ContactPhone, Email: sh.ContactEmail}
	if id.Name == "" {
		id.Name = sh.Name
	}
	if id.Contact == "" {
		id.Contact = sh.ContactEmail
	}
	return id
}

// compose builds what the provider sends for message id: the stored
// rendered text, the customer's contact points, the shop's identity and,
// for email, the HTML part with tracked links, an open pixel and (unless
// transactional) the opt-out footer.
func (s *Service) compose(sh shop.Shop, id string, m sendable) channel.Message {
	cm := channel.Message{ID: id, ShopID: sh.ID, Purpose: m.Purpose, Subject: m.Subject, Text: m.Body,
		To:     channel.Recipient{Email: m.Email, Phone: m.Phone, LineUserID: m.LineUserID, Name: m.Name},
		Sender: identity(sh), UnsubscribeURL: s.link(token.Unsubscribe, "/u/", sh.ID, m.CustomerID)}
	if m.Channel != "email" {
		return cm
	}
	cm.Headers = map[string]string{"X-Kizukai-Message": id}
	footer := ""
	if !cm.Transactional() {
		footer = emailFooter(cm.Sender, cm.UnsubscribeURL, m.Locale)
		cm.Text = m.Body + "\n\n" + footer
	}
	cm.HTML = s.emailHTML(sh.ID, id, m.Body, footer, cm.UnsubscribeURL)
	return cm
}

// emailFooter names the sender and says how to stop the emails (法4条).
func emailFooter(id channel.Identity, unsubscribe, locale string) string {
	lines := []string{"――", id.Name}
	if id.Address != "" {
		lines = append(lines, id.Address)
	}
	if id.Contact != "" {
		lines = append(lines, id.Contact)
	}
	if locale == "en" {
		lines = append(lines, "To stop these emails (one click): "+unsubscribe)
	} else {
		lines = append(lines, "配信停止はこちら（ワンクリックで停止できます）: "+unsubscribe)
	}
	return strings.Join(lines, "\n")
}

// linkRE finds URLs in plain text exactly as the click redirect
// (internal/pages/engagement.Links) does, so that link n here is link n
// there: the redirect only goes to the n-th link of the stored body.
var linkRE = regexp.MustCompile(`https?://[^\s<>"'\x60「」『』（）【】、。]+`)

// textHTML turns plain text into HTML: escaped, URLs as links, line breaks
// kept.
func textHTML(text string) string {
	var b strings.Builder
	last := 0
	for _, loc := range linkRE.FindAllStringIndex(text, -1) {
		raw := strings.TrimRight(text[loc[0]:loc[1]], ".,;:!?)]}")
		end := loc[0] + len(raw)
		b.WriteString(html.EscapeString(text[last:loc[0]]))
		if u, err := url.Parse(raw); err == nil && u.Host != "" && u.User == nil {
			b.WriteString(`<a href="` + html.EscapeString(u.String()) + `">` + html.EscapeString(raw) + `</a>`)
		} else {
			b.WriteString(html.EscapeString(raw))
		}
		last = end
	}
	b.WriteString(html.EscapeString(text[last:]))
	return strings.ReplaceAll(b.String(), "\n", "<br>\n")
}

// emailHTML is the HTML part: the body's links go through the signed
// click redirect (BaseURL/k/<token of "<message id>.<n>">), the opt-out
// link stays direct, and an open pixel (BaseURL/o/<token>) ends it.
func (s *Service) emailHTML(shopID, id, body, footer, unsubscribe string) string {
	doc := `<!DOCTYPE html><html><body><div style="font-family:sans-serif;line-height:1.6">` + textHTML(body)
	if footer != "" {
		doc += `<hr><div style="font-size:small;color:#555">` + textHTML(footer) + `</div>`
	}
	doc += `</div></body></html>`
	bodyLinks := len(linkRE.FindAllString(body, 100))
	doc = email.TrackLinks(doc, func(n int, u string) string {
		if u == unsubscribe || n >= bodyLinks || s.Signer == nil {
			return u
		}
		if c := s.link(token.Click, "/k/", shopID, id+"."+strconv.Itoa(n+1)); c != "" {
			return c
		}
		return u
	})
	if open := s.link(token.Open, "/o/", shopID, id); open != "" {
		doc = email.AppendPixel(doc, open)
	}
	return doc
}

// rerender renders a message's template again for another channel (a
// fallback, or the best channel that has a provider): the subject and
// long body for email, the short text for SMS and LINE. The variables are
// those known without the order's details: customer, shop, links and
// receipt/survey links of the order; product and order totals render
// empty (message does not export its full variable builder yet).
func (s *Service) rerender(ctx context.Context, shopID string, c contact, key, orderID, locale, ch string) (string, string, error) {
	sh, err := shop.ByID(ctx, s.DB, shopID)
	if err != nil {
		return "", "", err
	}
	if locale == "" {
		locale = c.Locale
	}
	v := message.Vars{CustomerName: c.Name, ShopName: sh.Name, SenderName: identity(sh).Name,
		ContactEmail: sh.ContactEmail, ContactPhone: sh.ContactPhone,
		UnsubscribeURL: s.link(token.Unsubscribe, "/u/", shopID, c.ID), PreferencesURL: s.link(token.Preferences, "/p/", shopID, c.ID),
		ReceiptURL: s.link(token.Receipt, "/r/", shopID, orderID), SurveyURL: s.link(token.Survey, "/s/", shopID, orderID)}
	r, err := s.Messages.Render(ctx, shopID, key, locale, v)
	if err != nil {
		return "", "", err
	}
	if slices.Contains(shortChannels, ch) {
		return "", r.SMS, nil
	}
	return r.Subject, r.Body, nil
}
