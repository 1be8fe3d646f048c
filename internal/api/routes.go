package api

import (
	"net/http"
	"slices"

	"github.com/kizukai/kizukai/internal/httpx"
)

// route is one endpoint: method and path (under Prefix), whether it needs an
// API key, the handler, and what the OpenAPI document says about it.
type route struct {
	method string
	path   string
	public bool // no API key (health, the OpenAPI document)
	h      httpx.HandlerFunc
	doc    op
}

// Mux is an http.ServeMux that remembers its patterns, so a test can check
// the OpenAPI document against what is really served.
type Mux struct {
	*http.ServeMux
	patterns []string
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern.
func (m *Mux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers f for pattern.
func (m *Mux) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(f))
}

// Patterns returns every registered pattern.
func (m *Mux) Patterns() []string { return slices.Clone(m.patterns) }

// routes is the whole API. Each resource file lists its own routes.
func (h *Handler) routes() []route {
	return slices.Concat(
		h.systemRoutes(),
		h.customerRoutes(),
		h.productRoutes(),
		h.orderRoutes(),
		h.eventRoutes(),
		h.policyRoutes(),
		h.ticketRoutes(),
		h.messageRoutes(),
		h.journeyRoutes(),
		h.surveyRoutes(),
		h.couponRoutes(),
		h.channelRoutes(),
		h.recallRoutes(),
		h.broadcastRoutes(),
	)
}

// Mount registers every API route on m.
func (h *Handler) Mount(m *Mux) {
	for _, rt := range h.routes() {
		f := rt.h
		if !rt.public {
			f = h.authenticate(f)
		}
		m.Handle(rt.method+" "+Prefix+rt.path, h.a.Handle(f))
	}
	// Anything else under the prefix is a JSON 404, not the HTML one.
	m.Handle(Prefix+"/", h.a.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return httpx.WriteJSON(w, http.StatusNotFound, httpx.ErrorBody{Error: httpx.ErrorDetail{
			Code: "route_not_found", Message: "no such endpoint; see " + Prefix + "/openapi.json", RequestID: httpx.RequestID(r.Context())}})
	}))
}
