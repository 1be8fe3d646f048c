package admin

import (
	"math"
	"strconv"
)

// Server-rendered SVG charts: the view computes every coordinate, the
// template only draws. No script, no library; the numbers are also in a
// table beside each chart.

// bar is one value of a column chart.
type bar struct {
	Label string
	Value int
	Class string // CSS class (colour)
	// computed
	X, Y, W, H float64
	Text       string
}

// chart is a column chart with its geometry.
type chart struct {
	Bars          []bar
	Width, Height float64
	Base          float64 // y of the axis
	Max           int
	Total         int
	Grid          []gridLine
}

type gridLine struct {
	Y     float64
	Label string
}

const (
	chartW     = 560.0
	chartH     = 240.0
	chartTop   = 24.0
	chartBase  = 200.0
	chartLeft  = 48.0
	chartRight = 8.0
)

// niceMax rounds a maximum up to 1, 2 or 5 × 10^n, so grid lines fall on
// round numbers; the axis starts at 0.
func niceMax(n int) int {
	if n <= 0 {
		return 1
	}
	step := 1
	for {
		for _, m := range []int{1, 2, 5} {
			if m*step >= n {
				return m * step
			}
		}
		step *= 10
	}
}

func columnChart(l Lang, bars []bar) chart {
	c := chart{Bars: bars, Width: chartW, Height: chartH, Base: chartBase}
	for _, b := range bars {
		c.Max = max(c.Max, b.Value)
		c.Total += b.Value
	}
	top := niceMax(c.Max)
	plot := chartBase - chartTop
	for i := 0; i <= 4; i++ {
		v := top * i / 4
		c.Grid = append(c.Grid, gridLine{Y: chartBase - plot*float64(v)/float64(top), Label: l.Num(v)})
	}
	slot := (chartW - chartLeft - chartRight) / float64(len(bars))
	for i := range c.Bars {
		b := &c.Bars[i]
		b.W = slot * 0.6
		b.X = chartLeft + slot*float64(i) + slot*0.2
		b.H = plot * float64(b.Value) / float64(top)
		b.Y = chartBase - b.H
		b.Text = l.Num(b.Value)
	}
	return c
}

// stackRow is one horizontal bar made of parts (one per legend item).
type stackRow struct {
	Label string
	Parts []int
	Total int
	// computed
	Y     float64
	Segs  []segment
	Text  string
	EndX  float64  // where the bar ends (its total is written there)
	Cells []string // the parts, formatted, for the table
}

type segment struct {
	X, W  float64
	Class string
}

type legendItem struct {
	Label, Class string
	X            float64
}

// stackedChart is a horizontal stacked bar chart with its geometry.
type stackedChart struct {
	Rows          []stackRow
	Legend        []legendItem
	Width, Height float64
	Max           int
	Total         int
	Left, LabelX  float64 // where the bars start; the right edge of the row labels
}

const (
	stackLeft  = 130.0
	stackRight = 70.0
	stackRowH  = 34.0
	stackTop   = 36.0
)

func stackChart(l Lang, rows []stackRow, legend []legendItem) stackedChart {
	return stackChartAt(l, rows, legend, stackLeft)
}

// stackChartAt is stackChart with the bars starting at left (room for
// longer row labels).
func stackChartAt(l Lang, rows []stackRow, legend []legendItem, left float64) stackedChart {
	c := stackedChart{Rows: rows, Legend: legend, Width: chartW, Height: stackTop + stackRowH*float64(len(rows)) + 8, Left: left, LabelX: left - 8}
	for i := range c.Rows {
		for _, p := range c.Rows[i].Parts {
			c.Rows[i].Total += p
		}
		c.Max = max(c.Max, c.Rows[i].Total)
		c.Total += c.Rows[i].Total
	}
	top := float64(niceMax(c.Max))
	span := chartW - left - stackRight
	for i := range c.Legend {
		c.Legend[i].X = left + float64(i)*span/float64(len(legend))
	}
	for i := range c.Rows {
		row := &c.Rows[i]
		row.Y = stackTop + stackRowH*float64(i)
		row.Text = l.Num(row.Total)
		x := left
		for j, p := range row.Parts {
			w := span * float64(p) / top
			if p > 0 {
				row.Segs = append(row.Segs, segment{X: x, W: w, Class: legend[j].Class})
			}
			x += w
			row.Cells = append(row.Cells, l.Num(p))
		}
		row.EndX = x
	}
	return c
}

// percentChart is a column chart of rates: each bar's Value is in tenths
// of a percent (0–1000), the axis runs from 0 to 100 %, and a bar without
// a figure (nil rate) is drawn as nothing and written "—".
func percentChart(l Lang, labels []string, rates []*float64, class string) chart {
	c := chart{Width: chartW, Height: chartH, Base: chartBase, Max: 1000}
	plot := chartBase - chartTop
	for i := 0; i <= 4; i++ {
		c.Grid = append(c.Grid, gridLine{Y: chartBase - plot*float64(i)/4, Label: strconv.Itoa(25*i) + "%"})
	}
	slot := (chartW - chartLeft - chartRight) / float64(len(labels))
	for i, lb := range labels {
		b := bar{Label: lb, Class: class, W: slot * 0.6, X: chartLeft + slot*float64(i) + slot*0.2, Text: "—"}
		if r := rates[i]; r != nil {
			b.Value = int(math.Round(*r * 1000))
			b.H = plot * float64(b.Value) / 1000
			b.Text = percent(*r)
		}
		b.Y = chartBase - b.H
		c.Bars = append(c.Bars, b)
	}
	return c
}

// column is one stacked column of a series over time.
type column struct {
	Label string // the week, short ("9/8")
	Long  string // the week, long, for the table
	Parts []int
	// computed
	X, W, TextX float64
	Segs        []vsegment
	Total       int
	Text        string
	TopY        float64
	Cells       []string
}

type vsegment struct {
	Y, H  float64
	Class string
}

// columnsChart is a vertical stacked column chart (one column per week).
type columnsChart struct {
	Columns       []column
	Legend        []legendItem
	Grid          []gridLine
	Width, Height float64
	Base          float64
	Total         int
}

func stackedColumns(l Lang, cols []column, legend []legendItem) columnsChart {
	c := columnsChart{Columns: cols, Legend: legend, Width: chartW, Height: chartH + 10, Base: chartBase + 10}
	mx := 0
	for i := range c.Columns {
		for _, p := range c.Columns[i].Parts {
			c.Columns[i].Total += p
		}
		mx = max(mx, c.Columns[i].Total)
		c.Total += c.Columns[i].Total
	}
	top := niceMax(mx)
	plotTop := chartTop + 10
	plot := c.Base - plotTop
	for i := 0; i <= 4; i++ {
		v := top * i / 4
		c.Grid = append(c.Grid, gridLine{Y: c.Base - plot*float64(v)/float64(top), Label: l.Num(v)})
	}
	span := chartW - chartLeft - chartRight
	for i := range c.Legend {
		c.Legend[i].X = chartLeft + float64(i)*span/float64(max(1, len(legend)))
	}
	slot := span / float64(max(1, len(cols)))
	for i := range c.Columns {
		col := &c.Columns[i]
		col.W = slot * 0.64
		col.X = chartLeft + slot*float64(i) + slot*0.18
		col.TextX = col.X + col.W/2
		y := c.Base
		for j, p := range col.Parts {
			h := plot * float64(p) / float64(top)
			if p > 0 {
				y -= h
				col.Segs = append(col.Segs, vsegment{Y: y, H: h, Class: legend[j].Class})
			}
			col.Cells = append(col.Cells, l.Num(p))
		}
		col.TopY = y
		col.Text = l.Num(col.Total)
	}
	return c
}

// point is one value of a line series; Has is false for a week without a
// figure (the line breaks there).
type point struct {
	Label, Long string
	Value       float64
	Has         bool
	// computed
	X, Y float64
	Text string
}

// lineChart is one series over time on a fixed scale [Min, Max].
type lineChart struct {
	Points        []point
	Paths         []string // polyline point lists, one per unbroken run
	Grid          []gridLine
	Width, Height float64
	Base          float64
	Class         string
}

func linesChart(points []point, lo, hi float64, ticks []float64, tick func(float64) string, text func(float64) string, class string) lineChart {
	c := lineChart{Points: points, Width: chartW, Height: chartH, Base: chartBase, Class: class}
	plot := chartBase - chartTop
	y := func(v float64) float64 { return chartBase - plot*(v-lo)/(hi-lo) }
	for _, t := range ticks {
		c.Grid = append(c.Grid, gridLine{Y: y(t), Label: tick(t)})
	}
	slot := (chartW - chartLeft - chartRight) / float64(max(1, len(points)))
	run := ""
	for i := range c.Points {
		p := &c.Points[i]
		p.X = chartLeft + slot*float64(i) + slot/2
		p.Text = "—"
		if !p.Has {
			if run != "" {
				c.Paths = append(c.Paths, run)
			}
			run = ""
			continue
		}
		p.Y = y(math.Max(lo, math.Min(hi, p.Value)))
		p.Text = text(p.Value)
		if run != "" {
			run += " "
		}
		run += strconv.FormatFloat(p.X, 'f', 1, 64) + "," + strconv.FormatFloat(p.Y, 'f', 1, 64)
	}
	if run != "" {
		c.Paths = append(c.Paths, run)
	}
	return c
}
