package survey

import (
	"context"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/shop"
)

// Result windows.
const (
	DefaultWeeks = 12
	MaxPeriod    = 366 * 24 * time.Hour
)

// ResultsParams select a period of a survey's answers, by the time of the
// first submit: [From, To). Zero To is the end of the current week (the
// next Monday 00:00 in the shop's time zone); zero From is DefaultWeeks
// weeks before that.
type ResultsParams struct {
	From time.Time
	To   time.Time
}

// Results are a survey's figures over a period (SPEC C8, §6 CSAT and NPS).
type Results struct {
	SurveyID  string       `json:"survey_id"`
	From      time.Time    `json:"from"`
	To        time.Time    `json:"to"`
	Responses int          `json:"responses"`
	CSAT      CSATResult   `json:"csat"`
	NPS       NPSResult    `json:"nps"`
	Weeks     []WeekResult `json:"weeks" doc:"Monday-to-Sunday weeks in the shop's time zone, oldest first, empty weeks included"`
}

// CSATResult summarises the 1–5 satisfaction answers.
type CSATResult struct {
	Count        int            `json:"count"`
	Average      *float64       `json:"average" doc:"mean of 1–5, 2 decimals; null without answers"`
	Satisfied    *float64       `json:"satisfied_pct" doc:"share of 4 and 5 in percent, 1 decimal; null without answers"`
	Distribution map[string]int `json:"distribution" doc:"answers per score \"1\"..\"5\""`
}

// NPSResult summarises the 0–10 recommendation answers.
type NPSResult struct {
	Count        int            `json:"count"`
	Score        *float64       `json:"score" doc:"percent promoters (9–10) minus percent detractors (0–6), -100 to 100, 1 decimal; null without answers"`
	Promoters    int            `json:"promoters"`
	Passives     int            `json:"passives"`
	Detractors   int            `json:"detractors"`
	Distribution map[string]int `json:"distribution" doc:"answers per score \"0\"..\"10\""`
}

// WeekResult is one week of a survey's answers.
type WeekResult struct {
	WeekStart   string   `json:"week_start" doc:"the Monday, YYYY-MM-DD in the shop's time zone"`
	Responses   int      `json:"responses"`
	CSATAverage *float64 `json:"csat_average"`
	NPS         *float64 `json:"nps"`
}

type tally struct {
	n                 int
	csatN, csatSum    int
	csat              [6]int
	nps               [11]int
	npsN, promo, detr int
}

func (t *tally) add(csat int, nps *int) {
	t.n++
	if csat >= 1 && csat <= 5 {
		t.csatN++
		t.csatSum += csat
		t.csat[csat]++
	}
	if nps != nil && *nps >= 0 && *nps <= 10 {
		t.npsN++
		t.nps[*nps]++
		switch {
		case *nps >= 9:
			t.promo++
		case *nps <= 6:
			t.detr++
		}
	}
}

func round(v float64, places int) *float64 {
	p := math.Pow(10, float64(places))
	r := math.Round(v*p) / p
	return &r
}

func (t *tally) csatAverage() *float64 {
	if t.csatN == 0 {
		return nil
	}
	return round(float64(t.csatSum)/float64(t.csatN), 2)
}

func (t *tally) npsScore() *float64 {
	if t.npsN == 0 {
		return nil
	}
	return round(100*float64(t.promo-t.detr)/float64(t.npsN), 1)
}

// weekStart is the Monday 00:00 of t's week in loc.
func weekStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// Results returns the survey's figures over the period. An unknown survey
// is not found; a period that ends before it starts or spans more than 366
// days is a validation error naming from.
func (s *Service) Results(ctx context.Context, shopID, surveyID string, p ResultsParams) (Results, error) {
	if !slices.Contains(Surveys, surveyID) {
		return Results{}, errNoSurvey
	}
	sh, err := shop.ByID(ctx, s.db, shopID)
	if err != nil {
		return Results{}, err
	}
	loc := sh.Location()
	if p.To.IsZero() {
		p.To = weekStart(s.clock.Now(), loc).AddDate(0, 0, 7)
	}
	if p.From.IsZero() {
		p.From = weekStart(p.To.Add(-time.Nanosecond), loc).AddDate(0, 0, -7*(DefaultWeeks-1))
	}
	p.From, p.To = p.From.UTC(), p.To.UTC()
	switch {
	case !p.From.Before(p.To):
		return Results{}, errs.Invalid("from", "must be before to")
	case p.To.Sub(p.From) > MaxPeriod:
		return Results{}, errs.Invalid("from", "the period may span at most 366 days")
	}
	var total tally
	weeks := map[string]*tally{} // by week_start
	err = scores(ctx, s.db, shopID, surveyID, p.From, p.To, func(csat int, nps *int, at time.Time) {
		total.add(csat, nps)
		w := weekStart(at, loc).Format(time.DateOnly)
		if weeks[w] == nil {
			weeks[w] = &tally{}
		}
		weeks[w].add(csat, nps)
	})
	if err != nil {
		return Results{}, err
	}
	r := Results{SurveyID: surveyID, From: p.From, To: p.To, Responses: total.n,
		CSAT: CSATResult{Count: total.csatN, Average: total.csatAverage(), Distribution: map[string]int{}},
		NPS: NPSResult{Count: total.npsN, Score: total.npsScore(), Promoters: total.promo, Detractors: total.detr,
			Passives: total.npsN - total.promo - total.detr, Distribution: map[string]int{}},
		Weeks: []WeekResult{}}
	if total.csatN > 0 {
		r.CSAT.Satisfied = round(100*float64(total.csat[4]+total.csat[5])/float64(total.csatN), 1)
	}
	for i := 1; i <= 5; i++ {
		r.CSAT.Distribution[strconv.Itoa(i)] = total.csat[i]
	}
	for i := 0; i <= 10; i++ {
		r.NPS.Distribution[strconv.Itoa(i)] = total.nps[i]
	}
	for w := weekStart(p.From, loc); w.Before(p.To); w = w.AddDate(0, 0, 7) {
		wr := WeekResult{WeekStart: w.Format(time.DateOnly)}
		if t := weeks[wr.WeekStart]; t != nil {
			wr.Responses, wr.CSATAverage, wr.NPS = t.n, t.csatAverage(), t.npsScore()
		}
		r.Weeks = append(r.Weeks, wr)
	}
	return r, nil
}
