package main

// The self-paced scenario (-scenario survey): a survey that respondents answer at their own
// pace. Respondents arrive evenly over -duration; each opens a socket, answers -items items
// one after another with a think time between them (-think, ±50 %), changes its first
// answer at the end (answers can be changed until the close), and leaves. Every answer
// must be acknowledged (0 lost), and the server's tallies must hold exactly one current
// answer per respondent and item, with the value sent last (0 double).

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

type surveyConfig struct {
	respondents int
	items       int
	think       time.Duration
}

// surveyItem is one thing a respondent answers: a statement of a scale, or a choice.
type surveyItem struct {
	activity  string
	statement string // "" for a choice
}

// value is what respondent r answers to item i (first: before the change).
func (it surveyItem) value(r, i int, first bool) []byte {
	k := r*7 + i*3
	if first {
		k += 2
	}
	if it.statement != "" {
		return []byte(strconv.Itoa(1 + k%5))
	}
	return []byte(`["` + []string{"a", "b", "c"}[k%3] + `"]`)
}

type surveyResult struct {
	Scenario     string           `json:"scenario"`
	Engine       string           `json:"engine"`
	Respondents  int              `json:"respondents"`
	Items        int              `json:"items"`
	DurationS    float64          `json:"arrivals_over_s"`
	ThinkMs      float64          `json:"think_ms"`
	WallS        float64          `json:"wall_s"`
	Joined       int64            `json:"joined"`
	JoinFailures map[string]int64 `json:"join_failures,omitempty"`
	Sent         int64            `json:"answers_sent"`
	Acked        int64            `json:"answers_acked"`
	Errors       map[string]int64 `json:"answer_errors,omitempty"`
	Lost         int64            `json:"lost"`
	Missing      int64            `json:"missing_in_tally"`
	Double       int64            `json:"double"`
	WrongValue   int64            `json:"wrong_value"`
	MaxOpen      int64            `json:"max_open_sockets"`
	Ack          latency          `json:"ack"`
	AnswersPerS  float64          `json:"answers_per_s"`
	LoadBefore   string           `json:"load_avg_before"`
	LoadAfter    string           `json:"load_avg_after"`
	CPU          cpuResult        `json:"cpu_seconds"`
	RSSEndKiB    int64            `json:"server_rss_end_kib"`
	Error        string           `json:"error,omitempty"`
}

// runSurvey runs the self-paced scenario once against Pejl built at bin.
func runSurvey(ctx context.Context, cfg *config, sc surveyConfig, bin, tmp string) *surveyResult {
	res := &surveyResult{Scenario: "survey", Respondents: sc.respondents, Items: sc.items, DurationS: cfg.duration.Seconds(),
		ThinkMs: float64(sc.think.Milliseconds()), LoadBefore: loadAvg()}
	dir := filepath.Join(tmp, "survey")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		res.Error = err.Error()
		return res
	}
	t := &pejlTarget{bin: bin, tmp: dir, redisURL: cfg.redis, redisFsync: cfg.redisFsync}
	if err := t.start(ctx); err != nil {
		res.Error = "start: " + err.Error()
		return res
	}
	defer t.stop()
	res.Engine = t.engine()
	cpu0, gen0 := cpuSeconds(t.pid()), selfCPU()
	url, items, sessionID, err := surveySetup(ctx, t, sc.items)
	if err != nil {
		res.Error = "setup: " + err.Error()
		return res
	}
	logf("survey: %d respondents × %d items, arriving over %s, think %s", sc.respondents, len(items), cfg.duration, sc.think)

	var (
		joined, sent, acked, open, maxOpen atomic.Int64
		joinFail, answerErr                counter
		ackHist                            = newHist()
		wg                                 sync.WaitGroup
	)
	start := time.Now()
	for r := range sc.respondents {
		at := time.Duration(float64(cfg.duration) * float64(r) / float64(sc.respondents))
		if d := time.Until(start.Add(at)); d > 0 {
			sleepCtx(ctx, d)
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws, _, err := dialer(1+r%cfg.srcHosts).DialContext(ctx, url, nil)
			if err != nil {
				joinFail.add(dialKind(err), 1)
				return
			}
			defer ws.Close()
			if n := open.Add(1); n > maxOpen.Load() {
				maxOpen.Store(n)
			}
			defer open.Add(-1)
			ask := func(msg []byte, id string) (string, error) {
				_ = ws.SetWriteDeadline(time.Now().Add(lostAfter))
				if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
					return "", err
				}
				_ = ws.SetReadDeadline(time.Now().Add(lostAfter))
				for {
					_, data, err := ws.ReadMessage()
					if err != nil {
						return "", err
					}
					var m struct{ Type, ID, Code string }
					if json.Unmarshal(data, &m) != nil {
						continue
					}
					switch {
					case id == "" && m.Type == "welcome":
						return "", nil
					case id == "" && m.Type == "error":
						return m.Code, nil
					case m.ID == id && (m.Type == "ack" || m.Type == "error"):
						return m.Code, nil
					}
				}
			}
			if code, err := ask([]byte(`{"type":"hello"}`), ""); err != nil || code != "" {
				joinFail.add(strings.TrimSpace(code+" "+errText(err)), 1)
				return
			}
			joined.Add(1)
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			answer := func(i int, first bool) {
				it := items[i]
				id := fmt.Sprintf("m%d-%t", i, first)
				msg, _ := json.Marshal(map[string]any{"type": "vote", "id": id, "activity": it.activity,
					"statement": it.statement, "value": json.RawMessage(it.value(r, i, first))})
				t0 := time.Now()
				sent.Add(1)
				code, err := ask(msg, id)
				switch {
				case err != nil:
					answerErr.add("lost: "+errText(err), 1)
				case code != "":
					answerErr.add(code, 1)
				default:
					acked.Add(1)
					ackHist.record(time.Since(t0))
				}
			}
			for i := range items {
				if i > 0 && sc.think > 0 {
					sleepCtx(ctx, time.Duration(float64(sc.think)*(0.5+rng.Float64())))
				}
				answer(i, i == 0)
			}
			answer(0, false) // the first answer, changed
		}()
	}
	wg.Wait()
	res.WallS = time.Since(start).Seconds()
	res.Joined, res.Sent, res.Acked, res.MaxOpen = joined.Load(), sent.Load(), acked.Load(), maxOpen.Load()
	res.JoinFailures, res.Errors = joinFail.snapshot(), answerErr.snapshot()
	res.Lost = res.Sent - res.Acked
	res.Ack = ackHist.summary()
	res.AnswersPerS = float64(res.Acked) / res.WallS
	res.CPU = cpuResult{Server: cpuSeconds(t.pid()) - cpu0, Generator: selfCPU() - gen0}
	res.RSSEndKiB = rssKiB(t.pid())
	res.LoadAfter = loadAvg()
	if err := surveyCheck(ctx, t, sessionID, items, int(res.Joined), res); err != nil {
		res.Error = "check: " + err.Error()
	}
	return res
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return dialKind(err)
}

// surveySetup logs in, makes a self-paced session that opened a minute ago, and adds choice
// activities until there are n items (the charter's rated statements first).
func surveySetup(ctx context.Context, t *pejlTarget, n int) (url string, items []surveyItem, id string, err error) {
	jar, _ := cookiejar.New(nil)
	t.http = &http.Client{Jar: jar, Timeout: 30 * time.Second}
	if err := t.do(ctx, "POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, nil, 200); err != nil {
		return "", nil, "", err
	}
	var sess struct{ ID, Code string }
	if err := t.do(ctx, "POST", "/api/v1/sessions", map[string]any{"title": "Loadgen survey", "charter_id": "allerod-ledelsesgrundlag",
		"pace": "self", "opens_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}, &sess, 201); err != nil {
		return "", nil, "", err
	}
	var view struct {
		Activities []struct {
			ID, Kind, Section string
			Statements        []string
		}
	}
	if err := t.do(ctx, "GET", "/api/v1/sessions/"+sess.ID, nil, &view, 200); err != nil {
		return "", nil, "", err
	}
	section := ""
	for _, a := range view.Activities {
		if a.Kind != "scale" {
			continue
		}
		section = a.Section
		for _, st := range a.Statements {
			if len(items) < n {
				items = append(items, surveyItem{activity: a.ID, statement: st})
			}
		}
	}
	for len(items) < n {
		var act struct{ ID string }
		in := map[string]any{"kind": "choice", "section": section, "prompt": fmt.Sprintf("Spørgsmål %d", len(items)+1),
			"options": []map[string]string{{"id": "a", "label": "A"}, {"id": "b", "label": "B"}, {"id": "c", "label": "C"}}}
		if err := t.do(ctx, "POST", "/api/v1/sessions/"+sess.ID+"/activities", in, &act, 201); err != nil {
			return "", nil, "", err
		}
		items = append(items, surveyItem{activity: act.ID})
	}
	return "ws" + strings.TrimPrefix(t.base, "http") + "/api/v1/join/" + sess.Code + "/live", items, sess.ID, nil
}

// failures lists what broke the scenario's promise: every answer kept, exactly once.
func (r *surveyResult) failures() []string {
	var out []string
	if r.Error != "" {
		out = append(out, r.Error)
	}
	if n := int64(r.Respondents) - r.Joined; n > 0 {
		out = append(out, fmt.Sprintf("%d respondents could not join: %v", n, r.JoinFailures))
	}
	if r.Lost > 0 || r.Missing > 0 {
		out = append(out, fmt.Sprintf("%d answers not acknowledged (%v), %d missing in the tallies", r.Lost, r.Errors, r.Missing))
	}
	if r.Double > 0 || r.WrongValue > 0 {
		out = append(out, fmt.Sprintf("%d answers counted twice, %d values other than the last sent", r.Double, r.WrongValue))
	}
	return out
}

// surveyCheck compares the server's tallies with what the respondents sent last: per item,
// as many answers as respondents who joined (more: double, fewer: lost) and each value as
// often as it was sent last.
func surveyCheck(ctx context.Context, t *pejlTarget, id string, items []surveyItem, joined int, res *surveyResult) error {
	var view struct {
		Activities []struct {
			ID    string `json:"id"`
			Tally struct {
				Statements map[string]struct {
					Counts map[string]int64 `json:"counts"`
					N      int64            `json:"n"`
				} `json:"statements"`
				Options map[string]int64 `json:"options"`
				N       int64            `json:"n"`
			} `json:"tally"`
		} `json:"activities"`
	}
	if err := t.do(ctx, "GET", "/api/v1/sessions/"+id, nil, &view, 200); err != nil {
		return err
	}
	for i, it := range items {
		want := map[string]int64{}
		for r := range res.Respondents {
			v := strings.Trim(string(it.value(r, i, false)), `[]"`)
			want[v]++
		}
		var got map[string]int64
		var n int64
		for _, a := range view.Activities {
			if a.ID != it.activity {
				continue
			}
			if it.statement != "" {
				st := a.Tally.Statements[it.statement]
				got, n = st.Counts, st.N
			} else {
				got, n = a.Tally.Options, a.Tally.N
			}
		}
		switch {
		case n > int64(joined):
			res.Double += n - int64(joined)
		case n < int64(joined):
			res.Missing += int64(joined) - n
		}
		if joined == res.Respondents {
			for v, c := range want {
				if got[v] != c {
					res.WrongValue++
				}
			}
		}
	}
	return nil
}

// surveyMain runs the survey scenario, prints and writes its result, and fails on a broken
// promise (with -check).
func surveyMain(ctx context.Context, cfg *config, sc surveyConfig, bin, tmp string) error {
	res := runSurvey(ctx, cfg, sc, bin, tmp)
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	if cfg.out != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(cfg.out, append(b, '\n'), 0o644); err != nil {
			return err
		}
		logf("wrote %s", cfg.out)
	}
	if bad := res.failures(); len(bad) > 0 && cfg.check {
		fmt.Fprintln(os.Stderr, "loadgen: survey check failed:\n  "+strings.Join(bad, "\n  "))
		os.Exit(2)
	}
	return nil
}
