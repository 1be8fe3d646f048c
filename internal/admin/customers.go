package admin

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/httpx"
)

// customerRoutes are the customers pages: everyone may find and read a
// customer; the APPI disclosure (export) and erasure are the owner's.
func (h *Handler) customerRoutes() []route {
	return []route{
		{"GET", "/admin/customers", anyRole, h.listCustomers},
		{"GET", "/admin/customers/{id}", anyRole, h.showCustomer},
		{"GET", "/admin/customers/{id}/export", owner, h.exportCustomer},
		{"GET", "/admin/customers/{id}/erase", owner, h.eraseCustomerForm},
		{"POST", "/admin/customers/{id}/erase", owner, h.eraseCustomer},
	}
}

// customerPageSize is how many customers a list page shows.
const customerPageSize = 30

// customerURL is the page of a customer.
func customerURL(id string) string { return "/admin/customers/" + url.PathEscape(id) }

// customerCursor is the list's keyset cursor (the API's shape).
type customerCursor struct {
	After string `json:"a"`
}

// customersView is a page of the customer list with its filters and counts.
type customersView struct {
	page
	F        customerFilter
	Errors   map[string]string // by filter field
	Items    []customer.Customer
	Total    int        // customers matching the filters (the band included)
	Chips    []bandChip // the bands with their counts under the other filters
	NoOrders int        // matching customers without an order (no band)
	Bands    []msgOption
	Channels []msgOption
	States   []msgOption
	Filtered bool
	NextURL  string
	First    string
}

// bandChip is a band filter link with its count.
type bandChip struct {
	URL, Label, Class string
	Count             int
	Current           bool
}

// customerFilter is the list's query: search and filters, as typed.
type customerFilter struct {
	Q, Tag, Band, ConsentChannel, Consent string
}

// customerFilterOf reads the filters from the query, trimmed.
func customerFilterOf(r *http.Request) customerFilter {
	q := r.URL.Query()
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return customerFilter{Q: get("q"), Tag: get("tag"), Band: get("band"), ConsentChannel: get("consent_channel"), Consent: get("consent")}
}

// values are the filters as query parameters (empty ones left out).
func (f customerFilter) values() url.Values {
	out := url.Values{}
	for k, v := range map[string]string{"q": f.Q, "tag": f.Tag, "band": f.Band, "consent_channel": f.ConsentChannel, "consent": f.Consent} {
		if v != "" {
			out.Set(k, v)
		}
	}
	return out
}

func (f customerFilter) params(shopID string) customer.ListParams {
	return customer.ListParams{ShopID: shopID, Query: f.Q, Tag: f.Tag, Band: f.Band, ConsentChannel: f.ConsentChannel,
		ConsentState: f.Consent}
}

// listURL is the list with the filters and band (a chip's link).
func (f customerFilter) listURL(band string) string {
	v := f.values()
	v.Del("band")
	if band != "" {
		v.Set("band", band)
	}
	if len(v) == 0 {
		return "/admin/customers"
	}
	return "/admin/customers?" + v.Encode()
}

func (h *Handler) listCustomers(w http.ResponseWriter, r *http.Request, v *visit) error {
	var cur customerCursor
	onLater, err := httpx.DecodeCursor(r, &cur)
	if err != nil {
		return err
	}
	f := customerFilterOf(r)
	l := v.L
	cv := customersView{page: h.newPage(r, v, "customers.title", "nav.customers"), F: f,
		Bands:    msgOptions(l, "band.", customer.Bands, f.Band),
		Channels: msgOptions(l, "channel.", customer.Channels, f.ConsentChannel),
		States:   msgOptions(l, "customers.consent.", customer.ConsentStates, f.Consent)}
	keep := f.values()
	cv.Filtered = len(keep) > 0
	p := f.params(v.Shop.ID)
	p.AfterID, p.Limit = cur.After, customerPageSize
	items, more, err := h.Customers.List(r.Context(), p)
	if fe, ok := fieldErrors(l, err); ok {
		// A filter no form offers (typed into the address): the page
		// again, with the problem beside the filter.
		cv.Errors = fe
		return h.render(w, http.StatusUnprocessableEntity, "customers_list", cv)
	}
	if err != nil {
		return err
	}
	counts, err := h.Customers.CountByBand(r.Context(), p)
	if err != nil {
		return err
	}
	cv.Items, cv.NoOrders = items, counts[""]
	all := 0
	for _, n := range counts {
		all += n
	}
	cv.Total = all
	if f.Band != "" {
		cv.Total = counts[f.Band]
	}
	cv.Chips = append(cv.Chips, bandChip{URL: f.listURL(""), Label: l.T("customers.band.all"), Count: all, Current: f.Band == ""})
	for _, b := range customer.Bands {
		cv.Chips = append(cv.Chips, bandChip{URL: f.listURL(b), Label: l.T("band." + b), Class: "band-" + b, Count: counts[b],
			Current: f.Band == b})
	}
	if more {
		next := f.values()
		next.Set("cursor", httpx.EncodeCursor(customerCursor{After: items[len(items)-1].ID}))
		cv.NextURL = "/admin/customers?" + next.Encode()
	}
	if onLater {
		cv.First = f.listURL(f.Band)
	}
	return h.render(w, http.StatusOK, "customers_list", cv)
}

// The names the customers pages show, as view methods.

func (cv customersView) BandName(b string) string     { return bandName(cv.L, b) }
func (cv customersView) ChannelName(ch string) string { return channelName(cv.L, ch) }

// bandName is the translated band; "" is "no orders".
func bandName(l Lang, b string) string {
	if b == "" {
		return l.T("band.none")
	}
	return l.T("band." + b)
}
