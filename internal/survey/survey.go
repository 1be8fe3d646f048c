package survey

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/errs"
)

// PostPurchase is the ID of the built-in post-purchase survey.
const PostPurchase = "post_purchase"

// Surveys lists the IDs of the surveys that exist (custom surveys come later).
var Surveys = []string{PostPurchase}

// MaxComment is the longest comment, in characters.
const MaxComment = 2000

// Event types recorded by this package (see the package doc).
const (
	EventAnswered = "survey.answered"
	EventUpdated  = "survey.updated"
)

// Low-score thresholds: at or below either, a person should call.
const (
	LowCSAT = 2
	LowNPS  = 6
)

// RecoverySubject is the subject of the ticket a low score opens (staff
// read it in the inbox, in Japanese like the rest of the shop's work).
const RecoverySubject = "アンケートで低評価: 連絡してください"

// Answer is what a customer submits.
type Answer struct {
	CSAT    int    // 1..5, required
	NPS     *int   // 0..10, optional
	Comment string // at most MaxComment characters
	Locale  string // ja or en: the page's language (default ja)
}

// Validate checks a and trims it in place; problems are reported by form
// field name (csat, nps, comment).
func (a *Answer) Validate() error {
	var f errs.Fields
	if a.CSAT < 1 || a.CSAT > 5 {
		f.Add("csat", "choose 1 to 5")
	}
	if a.NPS != nil && (*a.NPS < 0 || *a.NPS > 10) {
		f.Add("nps", "choose 0 to 10")
	}
	a.Comment = strings.TrimSpace(strings.ReplaceAll(a.Comment, "\r\n", "\n"))
	switch {
	case !utf8.ValidString(a.Comment):
		f.Add("comment", "must be text")
	case utf8.RuneCountInString(a.Comment) > MaxComment:
		f.Add("comment", "at most 2000 characters")
	case strings.ContainsFunc(a.Comment, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		f.Add("comment", "must not contain control characters")
	}
	if a.Locale == "" {
		a.Locale = "ja"
	}
	if a.Locale != "ja" && a.Locale != "en" {
		f.Add("locale", "ja or en")
	}
	return f.Err()
}

// Low reports whether an answer is a low score: CSAT ≤ 2 or NPS ≤ 6.
func Low(csat int, nps *int) bool {
	return csat <= LowCSAT || nps != nil && *nps <= LowNPS
}

// complaintWords make a low score's recovery ticket a complaint: the
// customer said so in their own words.
var complaintWords = []string{"苦情", "クレーム", "complain"}

// RecoveryKind is the ticket kind for a low score with this comment:
// complaint when the comment says it is one, else other.
func RecoveryKind(comment string) string {
	c := strings.ToLower(comment)
	if slices.ContainsFunc(complaintWords, func(w string) bool { return strings.Contains(c, w) }) {
		return "complaint"
	}
	return "other"
}

// Response is one stored answer.
type Response struct {
	ID               string    `json:"id"`
	SurveyID         string    `json:"survey_id"`
	OrderID          string    `json:"order_id"`
	CustomerID       string    `json:"customer_id"`
	CSAT             int       `json:"csat"`
	NPS              *int      `json:"nps"`
	Comment          string    `json:"comment"`
	Locale           string    `json:"locale"`
	RecoveryTicketID string    `json:"recovery_ticket_id"`
	Edits            int       `json:"edits"`
	AnsweredAt       time.Time `json:"answered_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// EventData is the data of survey.answered and survey.updated: scores and
// references only, never the comment.
type EventData struct {
	SurveyID string `json:"survey_id"`
	OrderID  string `json:"order_id"`
	CSAT     int    `json:"csat"`
	NPS      *int   `json:"nps"`
	Score    int    `json:"score"` // = CSAT, for journey triggers
}
