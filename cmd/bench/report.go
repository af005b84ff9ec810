package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// row is one line of the result table and one record of the -json file.
type row struct {
	Workload string `json:"workload"`
	// Server is the peer's name for a row of the peer's; "" for
	// customergraph's.
	Server string `json:"server,omitempty"`
	// Round is the row's round with -rounds above 1, else 0.
	Round    int     `json:"round,omitempty"`
	Requests int     `json:"requests"`
	Failed   int     `json:"failed"`
	Seconds  float64 `json:"seconds"`
	// ReqPerSec is requests over the run's wall time; 0 for a row of a
	// single request.
	ReqPerSec float64 `json:"reqPerSec"`
	P50ms     float64 `json:"p50ms"`
	P90ms     float64 `json:"p90ms"`
	P99ms     float64 `json:"p99ms"`
	MaxMs     float64 `json:"maxMs"`
	MeanMs    float64 `json:"meanMs"`
	// Upstream counts the simulator's API calls during the measured run;
	// nil when not measured.
	Upstream *simStats `json:"upstream,omitempty"`
	// Bursts, when set, makes the table show upstream calls per burst;
	// BurstDetails has each burst's numbers.
	Bursts       int           `json:"bursts,omitempty"`
	BurstDetails []burstDetail `json:"burstDetails,omitempty"`
	// RedisCommands is the total of Redis commands during the run (INFO
	// left out); nil when not measured. RedisByCommand splits it.
	RedisCommands  *int64           `json:"redisCommands,omitempty"`
	RedisByCommand map[string]int64 `json:"redisByCommand,omitempty"`
	// PeakRSSBytes is the peak RSS (VmHWM) of the process the row is
	// about, 0 when unknown.
	PeakRSSBytes int64     `json:"peakRssBytes,omitempty"`
	Notes        []string  `json:"notes,omitempty"`
	Failures     []failure `json:"failures,omitempty"`
}

// burstDetail is one burst of W4.
type burstDetail struct {
	UpstreamCalls int64   `json:"upstreamCalls"`
	Failed        int     `json:"failed"`
	P50ms         float64 `json:"p50ms"`
	P99ms         float64 `json:"p99ms"`
	MaxMs         float64 `json:"maxMs"`
}

// ms returns d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// newRow summarises a run's result.
func newRow(name string, r result) row {
	w := row{
		Workload: name,
		Requests: r.requests,
		Failed:   r.failed,
		Seconds:  r.elapsed.Seconds(),
		P50ms:    ms(percentile(r.latencies, 50)),
		P90ms:    ms(percentile(r.latencies, 90)),
		P99ms:    ms(percentile(r.latencies, 99)),
		MaxMs:    ms(percentile(r.latencies, 100)),
		MeanMs:   ms(mean(r.latencies)),
		Failures: r.failures,
	}
	if r.requests > 1 && r.elapsed > 0 {
		w.ReqPerSec = float64(r.requests) / r.elapsed.Seconds()
	}
	return w
}

// note appends a note to the row.
func (w *row) note(format string, args ...any) {
	w.Notes = append(w.Notes, fmt.Sprintf(format, args...))
}

// header describes the run: when, where, and with which settings.
type header struct {
	Date        time.Time     `json:"date"`
	Vendor      string        `json:"vendor"` // -vendor
	NumCPU      int           `json:"numCPU"`
	GOMAXPROCS  int           `json:"gomaxprocs"`
	GoVersion   string        `json:"goVersion"`
	SimLatency  string        `json:"simLatency"`
	Customers   string        `json:"customers"`
	Concurrency int           `json:"concurrency"`
	Rate        float64       `json:"rate,omitempty"` // open-loop requests/s; 0 = closed loop
	N           int           `json:"n"`
	Duration    time.Duration `json:"duration"`
	// Peer is the name of the server run side by side; "" for none.
	Peer string `json:"peer,omitempty"`
	// Notes are printed under the header line: where Redis and the facade
	// come from, and what that means for the numbers.
	Notes []string `json:"notes,omitempty"`
}

// column is a column of the table.
type column struct {
	title string
	right bool // right-aligned: a number
}

// tableColumns returns the table's columns, in order.
func tableColumns() []column {
	return []column{
		{"workload", false}, {"requests", true}, {"failed", true}, {"req/s", true},
		{"p50", true}, {"p99", true}, {"upstream calls/req", true}, {"Redis cmds/req", true},
		{"peak RSS (MB)", true}, {"notes", false},
	}
}

// writeReport prints the header line, its notes and the Markdown table;
// in a side-by-side run (h.Peer set), the side-by-side table of pairs
// first.
func writeReport(w io.Writer, h header, rows []row, pairs []pair) error {
	loop := "closed loop"
	if h.Rate > 0 {
		loop = fmt.Sprintf("open loop at %g req/s", h.Rate)
	}
	fmt.Fprintf(w, "customergraph bench, %s · NumCPU %d · GOMAXPROCS %d · %s · sim latency %s · %s customers · concurrency %d, %s · -n %d / -duration %s per workload\n",
		h.Date.UTC().Format("2006-01-02 15:04 MST"), h.NumCPU, h.GOMAXPROCS, h.GoVersion,
		h.SimLatency, h.Customers, h.Concurrency, loop, h.N, h.Duration)
	if len(h.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range h.Notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
	fmt.Fprintln(w)
	if h.Peer != "" {
		fmt.Fprintf(w, "Side by side (cg is customergraph; ratios are cg over %s):\n\n", h.Peer)
		if err := writeComparison(w, h.Peer, pairs); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nEvery row (%s's rows marked [%s]):\n\n", h.Peer, h.Peer)
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = r.cells()
	}
	if _, err := io.WriteString(w, markdownTable(tableColumns(), cells)); err != nil {
		return err
	}
	if sums := summarizeRounds(rows); len(sums) > 0 {
		rounds := 0
		for _, r := range rows {
			rounds = max(rounds, r.Round)
		}
		fmt.Fprintf(w, "\nOver %d rounds (medians; p50 over B-proxy is each round's p50 minus B-proxy's p50 in the same round):\n\n", rounds)
		_, err := io.WriteString(w, markdownTable(roundColumns(), roundCells(sums)))
		return err
	}
	return nil
}

// roundSummary is one workload's figures over the rounds of -rounds.
type roundSummary struct {
	Workload  string
	P50ms     []float64 // per round the workload ran in, in round order
	P99ms     []float64
	ReqPerSec []float64
	// OverProxyMs is P50ms minus B-proxy's p50 of the same round, for the
	// rounds that ran B-proxy too; nil when none did, or for B-proxy.
	OverProxyMs []float64
}

// proxyWorkload is the baseline a round's latencies are compared with.
const proxyWorkload = "B-proxy"

// summarizeRounds groups the rows of a -rounds run by workload, in the
// order the workloads first ran; nil when the rows have no rounds. Rows of
// a single request (W2's first) count their latency, not a rate.
func summarizeRounds(rows []row) []roundSummary {
	proxy := map[int]float64{} // round → B-proxy's p50
	for _, r := range rows {
		if r.Workload == proxyWorkload && r.Round > 0 && r.Requests > 0 {
			proxy[r.Round] = r.P50ms
		}
	}
	var sums []roundSummary
	index := map[string]int{}
	for _, r := range rows {
		if r.Round == 0 || r.Requests == 0 {
			continue // not a -rounds run, or a failed run
		}
		i, ok := index[r.Workload]
		if !ok {
			i = len(sums)
			index[r.Workload] = i
			sums = append(sums, roundSummary{Workload: r.Workload})
		}
		s := &sums[i]
		s.P50ms = append(s.P50ms, r.P50ms)
		s.P99ms = append(s.P99ms, r.P99ms)
		if r.ReqPerSec > 0 {
			s.ReqPerSec = append(s.ReqPerSec, r.ReqPerSec)
		}
		if p, ok := proxy[r.Round]; ok && r.Workload != proxyWorkload {
			s.OverProxyMs = append(s.OverProxyMs, r.P50ms-p)
		}
	}
	return sums
}

// medianOf returns the median of xs (the mean of the middle two for an
// even count), and false for none.
func medianOf(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// roundColumns are the columns of the table over the rounds.
func roundColumns() []column {
	return []column{
		{"workload", false}, {"runs", true}, {"p50", true}, {"p50 min–max", true}, {"p99", true},
		{"req/s", true}, {"p50 over B-proxy", true}, {"p50 over B-proxy, per round", false},
	}
}

// roundCells formats the table over the rounds.
func roundCells(sums []roundSummary) [][]string {
	f2 := func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
	med := func(xs []float64, format func(float64) string) string {
		m, ok := medianOf(xs)
		if !ok {
			return "n/a"
		}
		return format(m)
	}
	signed := func(x float64) string { return fmt.Sprintf("%+.2f", x) }
	cells := make([][]string, len(sums))
	for i, s := range sums {
		runs := len(s.P50ms)
		spread := "n/a"
		if runs > 0 {
			spread = f2(slices.Min(s.P50ms)) + "–" + f2(slices.Max(s.P50ms))
		}
		per := make([]string, len(s.OverProxyMs))
		for j, x := range s.OverProxyMs {
			per[j] = signed(x)
		}
		perCell := strings.Join(per, ", ")
		if perCell == "" {
			perCell = "n/a"
		}
		cells[i] = []string{
			s.Workload, strconv.Itoa(runs), med(s.P50ms, f2), spread, med(s.P99ms, f2),
			med(s.ReqPerSec, func(x float64) string { return strconv.FormatFloat(x, 'f', 0, 64) }),
			med(s.OverProxyMs, signed), perCell,
		}
	}
	return cells
}

// markdownTable formats cells under columns, padded so that the plain
// text lines up too.
func markdownTable(columns []column, cells [][]string) string {
	width := make([]int, len(columns))
	for i, c := range columns {
		width[i] = max(len(c.title), 3)
	}
	for _, r := range cells {
		for i, c := range r {
			width[i] = max(width[i], textWidth(c))
		}
	}
	var b strings.Builder
	line := func(vals func(i int) string) {
		b.WriteString("|")
		for i := range columns {
			v := vals(i)
			pad := strings.Repeat(" ", width[i]-textWidth(v))
			if columns[i].right {
				v = pad + v
			} else {
				v += pad
			}
			b.WriteString(" " + v + " |")
		}
		b.WriteString("\n")
	}
	line(func(i int) string { return columns[i].title })
	line(func(i int) string {
		if columns[i].right {
			return strings.Repeat("-", width[i]-1) + ":"
		}
		return strings.Repeat("-", width[i])
	})
	for _, r := range cells {
		line(func(i int) string { return r[i] })
	}
	return b.String()
}

// textWidth is the number of characters of s, for padding.
func textWidth(s string) int { return len([]rune(s)) }

// cells formats the row's table cells, in column order.
func (w row) cells() []string {
	reqPerSec := "n/a"
	if w.ReqPerSec > 0 {
		reqPerSec = strconv.FormatFloat(w.ReqPerSec, 'f', 0, 64)
	}
	notes := w.Notes
	for _, f := range w.Failures {
		notes = append(notes, fmt.Sprintf("failed ×%d: %s", f.Count, f.Message))
	}
	return []string{
		w.label(),
		strconv.Itoa(w.Requests),
		strconv.Itoa(w.Failed),
		reqPerSec,
		strconv.FormatFloat(w.P50ms, 'f', 2, 64),
		strconv.FormatFloat(w.P99ms, 'f', 2, 64),
		w.upstreamCell(),
		w.redisCell(),
		rssCell(w.PeakRSSBytes),
		escapeCell(strings.Join(notes, "; ")),
	}
}

// label is the row's workload, followed by the server in brackets for a
// row of the peer's, and by its round (#2) with -rounds.
func (w row) label() string {
	l := w.Workload
	if w.Server != "" {
		l += " [" + w.Server + "]"
	}
	if w.Round > 0 {
		l += " #" + strconv.Itoa(w.Round)
	}
	return l
}

// upstreamCell is the upstream calls per request, split into list and get
// calls when the run made list calls, or per burst for a burst row.
func (w row) upstreamCell() string {
	if w.Upstream == nil || w.Requests == 0 {
		return "n/a"
	}
	u := w.Upstream
	if w.Bursts > 0 {
		return fmtNum(float64(u.Total)/float64(w.Bursts)) + " per burst"
	}
	n := float64(w.Requests)
	s := fmtNum(float64(u.Total) / n)
	if u.List > 0 {
		s += fmt.Sprintf(" (%s list + %s get)", fmtNum(float64(u.List)/n), fmtNum(float64(u.Get)/n))
	}
	return s
}

// redisCell is the Redis commands per request.
func (w row) redisCell() string {
	if w.RedisCommands == nil || w.Requests == 0 {
		return "n/a"
	}
	return fmtNum(float64(*w.RedisCommands) / float64(w.Requests))
}

// rssCell is a byte count in MB (2^20 bytes) with one decimal.
func rssCell(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64)
}

// fmtNum formats a per-request ratio: two decimals without trailing zeros,
// three when the value is below 0.01 (1 call in 200 requests is 0.005, not
// 0).
func fmtNum(x float64) string {
	prec := 2
	if x != 0 && x < 0.01 && x > -0.01 {
		prec = 3
	}
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// escapeCell keeps a cell's text from breaking the table.
func escapeCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// writeJSONFile writes the header, the rows and, side by side, the ratios
// to path.
func writeJSONFile(path string, h header, rows []row, pairs []pair) error {
	b, err := json.MarshalIndent(struct {
		Header     header `json:"header"`
		Rows       []row  `json:"rows"`
		Comparison []pair `json:"comparison,omitempty"`
	}{h, rows, pairs}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
