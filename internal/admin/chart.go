package admin

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
}

const (
	stackLeft  = 130.0
	stackRight = 70.0
	stackRowH  = 34.0
	stackTop   = 36.0
)

func stackChart(l Lang, rows []stackRow, legend []legendItem) stackedChart {
	c := stackedChart{Rows: rows, Legend: legend, Width: chartW, Height: stackTop + stackRowH*float64(len(rows)) + 8}
	for i := range c.Rows {
		for _, p := range c.Rows[i].Parts {
			c.Rows[i].Total += p
		}
		c.Max = max(c.Max, c.Rows[i].Total)
		c.Total += c.Rows[i].Total
	}
	top := float64(niceMax(c.Max))
	span := chartW - stackLeft - stackRight
	for i := range c.Legend {
		c.Legend[i].X = stackLeft + float64(i)*span/float64(len(legend))
	}
	for i := range c.Rows {
		row := &c.Rows[i]
		row.Y = stackTop + stackRowH*float64(i)
		row.Text = l.Num(row.Total)
		x := stackLeft
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
