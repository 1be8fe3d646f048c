package api

import (
	"errors"
	"net/http"

	"github.com/kizukai/kizukai/internal/coupon"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/httpx"
)

func (h *Handler) couponRoutes() []route {
	const tag = "coupons"
	return []route{
		{method: "POST", path: "/coupon-campaigns", h: h.createCouponCampaign,
			doc: op{summary: "Create a coupon campaign: a discount (amount in yen or percent), how long its codes are valid " +
				"(valid_days after issue, ends_at, or both: the earlier wins) and its limits",
				tag: tag, body: coupon.CampaignInput{}, resp: coupon.Campaign{}, status: http.StatusCreated, errors: []int{422}}},
		{method: "GET", path: "/coupon-campaigns/{id}", h: h.showCouponCampaign,
			doc: op{summary: "A coupon campaign with its issued and redeemed counts", tag: tag, resp: coupon.Campaign{}, errors: []int{404}}},
		{method: "POST", path: "/coupon-campaigns/{id}/issue", h: h.issueCoupon,
			doc: op{summary: "Issue a new code of the campaign to a customer (optionally for one of their orders: it then shows on " +
				"that order's receipt); records coupon.issued. 409 campaign_ended, campaign_limit_reached (total_limit) or " +
				"customer_limit_reached (per_customer_limit); 422 naming customer_id or order_id when they are not the shop's",
				tag: tag, body: coupon.IssueInput{}, resp: coupon.Coupon{}, status: http.StatusCreated, errors: []int{404, 409, 422}}},
		{method: "GET", path: "/coupons/{code}", h: h.showCoupon,
			doc: op{summary: "A coupon by its code (case, spaces and dashes ignored): whether and when it was redeemed, when it expires",
				tag: tag, resp: coupon.Coupon{}, errors: []int{404}}},
		{method: "POST", path: "/coupons/{code}/redeem", h: h.redeemCoupon,
			doc: op{summary: "Redeem a code, exactly once even under concurrency; records coupon.redeemed. " +
				"200 the first time; then 409 already_redeemed; 410 expired; 404 for an unknown code. The body is optional",
				tag: tag, body: coupon.RedeemInput{}, resp: coupon.Coupon{}, errors: []int{404, 409, 410, 422}}},
	}
}

func (h *Handler) createCouponCampaign(w http.ResponseWriter, r *http.Request) error {
	var in coupon.CampaignInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := h.Coupons.CreateCampaign(r.Context(), shopFrom(r.Context()).ID, in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, c)
}

func (h *Handler) showCouponCampaign(w http.ResponseWriter, r *http.Request) error {
	c, err := h.Coupons.Campaign(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, c)
}

func (h *Handler) issueCoupon(w http.ResponseWriter, r *http.Request) error {
	var in coupon.IssueInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	k, err := h.Coupons.Issue(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, k)
}

func (h *Handler) showCoupon(w http.ResponseWriter, r *http.Request) error {
	k, err := h.Coupons.ByCode(r.Context(), shopFrom(r.Context()).ID, r.PathValue("code"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, k)
}

// redeemCoupon takes an optional body: a POS may send none at all.
func (h *Handler) redeemCoupon(w http.ResponseWriter, r *http.Request) error {
	var in coupon.RedeemInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		if e := (*errs.Error)(nil); !errors.As(err, &e) || e.Code != "empty_body" {
			return err
		}
	}
	k, err := h.Coupons.Redeem(r.Context(), shopFrom(r.Context()).ID, r.PathValue("code"), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, k)
}
