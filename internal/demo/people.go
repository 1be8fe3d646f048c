package demo

import (
	"fmt"
	"slices"
	"time"
)

// Consent sources, as the shop's tills and web shop would record them.
const (
	sourcePOS    = "pos_signup"
	sourceOnline = "online_signup"
)

// consentText is the wording shown at sign-up, per channel and locale
// (特定電子メール法: what will be sent, by whom, and that it can be stopped).
var consentText = map[string]map[string]string{
	"ja": {
		"email":  "きづかい堂から、ご購入商品の使い方やお手入れのご案内、新商品のお知らせをメールでお送りします。配信はいつでも停止できます。",
		"sms":    "きづかい堂から、ご購入後のご案内や大切なお知らせをSMSでお送りします。「停止」と返信すればいつでも停止できます。",
		"line":   "きづかい堂のLINE公式アカウントを友だち追加し、ご購入後のご案内やお知らせを受け取ります。ブロックすればいつでも停止できます。",
		"postal": "きづかい堂の会員誌「きづかい通信」(年4回)とお知らせを郵送で受け取ります。店頭またはお電話でいつでも停止できます。",
	},
	"en": {
		"email":  "Kizukai-do will email you tips on using and caring for what you bought, and news of new products. You can unsubscribe at any time.",
		"sms":    "Kizukai-do will text you after-purchase guidance and important notices. Reply STOP at any time to opt out.",
		"line":   "Add Kizukai-do's official LINE account to receive after-purchase guidance and news. Block the account at any time to stop.",
		"postal": "Receive Kizukai-do's member magazine (four times a year) and notices by post. Ask in store or by phone to stop at any time.",
	},
}

// withdrawalSource is how a customer typically withdraws each channel.
var withdrawalSource = map[string]string{
	"email": "unsubscribe_link", "sms": "sms_stop", "line": "line_unfollow", "postal": "store_request",
}

// person makes up a customer's name and contact points.
func (g *gen) person(n int, home string, per persona) Customer {
	c := Customer{
		ExternalID: fmt.Sprintf("M%06d", 100000+n),
		Locale:     "ja",
		Tags:       slices.Clone(per.tags),
		Attributes: map[string]any{"home_store": home, "birth_month": 1 + g.r.IntN(12), "member_rank": "regular"},
	}
	online := home == storeOnline
	var local string
	if g.chance(0.04) {
		en := englishNames[g.r.IntN(len(englishNames))]
		c.Name, c.Locale, local = en.full, "en", en.email
	} else {
		fam := familyNames[g.r.IntN(len(familyNames))]
		given := femaleNames
		if g.chance(0.32) {
			given = maleNames
		}
		gv := given[g.r.IntN(len(given))]
		c.Name = fam.kanji + " " + gv.kanji
		local = []string{gv.romaji + "." + fam.romaji, fam.romaji + "." + gv.romaji, gv.romaji + "_" + fam.romaji[:1]}[g.r.IntN(3)]
	}
	if online || g.chance(0.8) {
		c.Email = g.email(local)
	}
	if g.chance(map[bool]float64{true: 0.6, false: 0.85}[online]) {
		c.Phone = fmt.Sprintf("0%d0-%04d-%04d", []int{9, 8, 7}[g.r.IntN(3)], 1000+g.r.IntN(9000), g.r.IntN(10000))
	}
	if g.chance(map[bool]float64{true: 0.55, false: 0.4}[online]) {
		c.LineUserID = fmt.Sprintf("U%016x%016x", g.r.Uint64(), g.r.Uint64())
		if g.chance(0.5) {
			c.PreferredChannel = "line"
		}
	}
	if online || g.chance(0.5) {
		lo, hi := storeTowns[home][0], storeTowns[home][1]
		t := towns[lo+g.r.IntN(hi-lo)]
		c.PostalAddress = fmt.Sprintf("〒%s %s%d-%d-%d", t.postal, t.address, 1+g.r.IntN(5), 1+g.r.IntN(30), 1+g.r.IntN(20))
		if g.chance(0.45) {
			c.PostalAddress += fmt.Sprintf(" %s%d", []string{"メゾン", "コーポ", "ハイツ", "レジデンス"}[g.r.IntN(4)], 101+g.r.IntN(4)*100+g.r.IntN(6))
		}
	}
	if c.Email == "" && c.Phone == "" && c.LineUserID == "" {
		c.Email = g.email(local) // the till asks for at least one way to reach the customer
	}
	return c
}

// email makes a unique address at one of the reserved example domains.
func (g *gen) email(local string) string {
	domain := []string{"example.jp", "example.com"}[g.r.IntN(2)]
	addr := local + "@" + domain
	for g.emails[addr] || g.chance(0.3) {
		addr = fmt.Sprintf("%s%d@%s", local, 1+g.r.IntN(99), domain)
	}
	g.emails[addr] = true
	return addr
}

// consents decides what the customer opted in to at sign-up and which of
// those they withdrew later (before the end of the plan).
func (g *gen) consents(c *Customer) {
	c.SignupSource = sourcePOS
	if c.Attributes["home_store"] == storeOnline {
		c.SignupSource = sourceOnline
	}
	if c.Email != "" && g.chance(0.85) {
		c.Granted = append(c.Granted, "email")
	}
	if c.LineUserID != "" && g.chance(0.92) {
		c.Granted = append(c.Granted, "line")
	}
	if c.Phone != "" && g.chance(0.5) {
		c.Granted = append(c.Granted, "sms")
	}
	if c.PostalAddress != "" && g.chance(0.3) {
		c.Granted = append(c.Granted, "postal")
		c.Tags = append(c.Tags, "会員誌")
	}
	if len(c.Granted) == 0 || !g.chance(0.1) {
		return
	}
	ch := c.Granted[g.r.IntN(len(c.Granted))]
	from := c.SignupAt.Add(14 * 24 * time.Hour)
	if !from.Before(g.end) {
		return
	}
	at := from.Add(time.Duration(g.r.Int64N(int64(g.end.Sub(from)))))
	c.Withdrawals = append(c.Withdrawals, Withdrawal{Channel: ch, Source: withdrawalSource[ch], At: at.Truncate(time.Second)})
}

// ConsentText returns the wording shown when consent for channel was asked
// of a customer with locale.
func ConsentText(locale, channel string) string { return consentText[locale][channel] }
