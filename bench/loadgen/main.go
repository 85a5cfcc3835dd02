// Command loadgen is Pejl's load generator: it opens N WebSocket participants on loopback
// (source addresses spread over 127.0.0.x), sends votes on an open-loop schedule, and
// measures the goals G1–G5 of GOALS.md against Pejl, a reference server built on
// github.com/centrifugal/centrifuge and a minimal gorilla/websocket broadcast server (the
// floor), alternating runs between them. See bench/README.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type config struct {
	targets      []string
	participants int
	ramp         float64
	votesPerSec  float64
	duration     time.Duration
	redis        string
	redisFsync   string
	out          string
	bin          string
	runs         int
	rounds       int
	settle       time.Duration
	srcHosts     int
	senders      int
	stateBytes   int
	check        bool
	orderProbes  int
	instances    int           // Pejl processes sharing the one Redis
	failover     bool          // -scenario failover: reconnecting phones, one instance killed
	killAfter    time.Duration // failover: when, into the vote phase
	perProc      int           // participants one process opens (the rest: helpers, hold.go)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05")+" "+format+"\n", args...)
}

func run() error {
	cfg := &config{}
	var targets, ramp string
	flag.StringVar(&targets, "target", "pejl", "targets, comma-separated: pejl, centrifuge, floor; runs alternate between them")
	flag.IntVar(&cfg.participants, "participants", 1000, "participant sockets to open")
	flag.StringVar(&ramp, "ramp", "2000/s", "arrival rate of participants (per second)")
	flag.Float64Var(&cfg.votesPerSec, "votes-per-sec", 2000, "votes per second, open loop, spread round-robin over the participants")
	flag.DurationVar(&cfg.duration, "duration", 20*time.Second, "length of the vote phase")
	flag.StringVar(&cfg.redis, "redis", "", "Pejl's engine: empty = embedded; \"auto\" = start a redis-server on a free port for each run; or a redis:// URL")
	flag.StringVar(&cfg.redisFsync, "redis-fsync", "no", "with -redis auto: \"no\" = appendonly no; \"always\" = appendonly yes, appendfsync always (as deploy/redis.conf has it); \"everysec\"")
	flag.StringVar(&cfg.out, "out", "", "write the results as JSON to this file (e.g. bench/results/smoke.json)")
	flag.StringVar(&cfg.bin, "bin", "", "Pejl binary to run (default: go build ./server into a temporary directory)")
	flag.IntVar(&cfg.runs, "runs", 1, "runs per target (alternating between targets)")
	flag.IntVar(&cfg.rounds, "rounds", 5, "section changes measured after the vote phase (G5)")
	flag.DurationVar(&cfg.settle, "settle", 3*time.Second, "wait after the ramp before reading the server's RSS at N")
	flag.IntVar(&cfg.srcHosts, "src-hosts", 250, "spread participant source addresses over 127.0.0.1..127.0.0.<n>")
	flag.IntVar(&cfg.senders, "senders", 16, "goroutines writing votes")
	flag.IntVar(&cfg.stateBytes, "state-bytes", 0, "size of the peers' state message (default: the size of Pejl's state frame seen in this invocation, else 1500)")
	flag.BoolVar(&cfg.check, "check", true, "exit with status 2 when a correctness invariant fails: a failed handshake, a lost vote, an exactly-once mismatch (a vote counted twice, or a stored value other than the last one sent), answers out of order, a missing state (latencies are never checked: the machines are shared)")
	flag.IntVar(&cfg.orderProbes, "order-probes", 20, "participants that also send a burst of 8 votes on one statement back to back every second (the order check)")
	var scenario string
	var sc surveyConfig
	flag.StringVar(&scenario, "scenario", "live", "live (a room voting, the goals G1–G5), failover (live with reconnecting phones; the last of -instances is killed -kill-after into the vote phase, G7) or survey (a self-paced session: -respondents arrive over -duration and answer -items each)")
	flag.IntVar(&cfg.instances, "instances", 0, "Pejl processes sharing one Redis (needs -redis); participants are spread round-robin over them, the facilitator is on instance 0, the canary on instance 1 (default 1; 2 for -scenario failover)")
	flag.DurationVar(&cfg.killAfter, "kill-after", 5*time.Second, "failover: SIGKILL the last instance this long into the vote phase")
	flag.IntVar(&sc.respondents, "respondents", 1000, "survey: respondents")
	flag.IntVar(&sc.items, "items", 40, "survey: items each respondent answers (then it changes its first answer)")
	flag.DurationVar(&sc.think, "think", time.Second, "survey: think time between a respondent's answers (±50 %)")
	var holdURLs string
	var holdOffset int
	flag.StringVar(&holdURLs, "hold-urls", "", "internal (-scenario hold): the participant socket URLs, comma-separated")
	flag.IntVar(&holdOffset, "hold-offset", 0, "internal (-scenario hold): the global index of the first participant")
	flag.IntVar(&cfg.perProc, "per-process", 0, "participants the generator opens itself; helper processes open the rest (default: its open-file limit less 1,024)")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", flag.Arg(0))
	}
	for _, t := range strings.Split(targets, ",") {
		t = strings.TrimSpace(t)
		switch t {
		case "pejl", "centrifuge", "floor":
			cfg.targets = append(cfg.targets, t)
		case "":
		default:
			return fmt.Errorf("-target: unknown target %q (pejl, centrifuge, floor)", t)
		}
	}
	r, err := strconv.ParseFloat(strings.TrimSuffix(ramp, "/s"), 64)
	if err != nil || r <= 0 {
		return fmt.Errorf("-ramp: want a rate such as 2000/s, not %q", ramp)
	}
	cfg.ramp = r
	if scenario == "hold" {
		return holdMain(cfg, strings.Split(holdURLs, ","), holdOffset)
	}
	switch {
	case len(cfg.targets) == 0:
		return fmt.Errorf("-target: name at least one target")
	case cfg.participants < 1 || cfg.participants > 60000:
		return fmt.Errorf("-participants must be 1..60000")
	case cfg.runs < 1 || cfg.runs > 20:
		return fmt.Errorf("-runs must be 1..20")
	case cfg.srcHosts < 1 || cfg.srcHosts > 250:
		return fmt.Errorf("-src-hosts must be 1..250")
	case cfg.duration > 30*time.Minute:
		return fmt.Errorf("-duration is at most 30m")
	case cfg.redisFsync != "no" && cfg.redisFsync != "always" && cfg.redisFsync != "everysec":
		return fmt.Errorf("-redis-fsync must be no, always or everysec")
	case cfg.votesPerSec < 0 || cfg.senders < 1 || cfg.rounds < 0 || cfg.orderProbes < 0:
		return fmt.Errorf("-votes-per-sec, -senders, -rounds and -order-probes must not be negative")
	case scenario != "live" && scenario != "survey" && scenario != "failover":
		return fmt.Errorf("-scenario must be live, failover or survey")
	case scenario == "survey" && (sc.respondents < 1 || sc.respondents > 100000 || sc.items < 1 || sc.items > 200):
		return fmt.Errorf("-respondents must be 1..100000 and -items 1..200")
	case scenario == "survey" && (len(cfg.targets) != 1 || cfg.targets[0] != "pejl"):
		return fmt.Errorf("-scenario survey runs against pejl only")
	}
	cfg.failover = scenario == "failover"
	if cfg.instances == 0 {
		cfg.instances = 1
		if cfg.failover {
			cfg.instances = 2
		}
	}
	switch {
	case cfg.instances < 1 || cfg.instances > 16:
		return fmt.Errorf("-instances must be 1..16")
	case cfg.instances > 1 && cfg.redis == "":
		return fmt.Errorf("-instances %d needs -redis (the instances share a Redis; the embedded engine is one process)", cfg.instances)
	case cfg.instances > 1 && (len(cfg.targets) != 1 || cfg.targets[0] != "pejl"):
		// The peers keep their state in one process: they have no multi-instance mode. For
		// a reference, run the floor alone with the same total of participants.
		return fmt.Errorf("-instances > 1 runs against -target pejl only (run the floor separately as one process with the same -participants)")
	case cfg.failover && (len(cfg.targets) != 1 || cfg.targets[0] != "pejl" || cfg.instances < 2):
		return fmt.Errorf("-scenario failover runs against pejl only, with -instances 2 or more")
	case cfg.failover && (cfg.killAfter <= 0 || cfg.killAfter >= cfg.duration || cfg.votesPerSec <= 0):
		return fmt.Errorf("-scenario failover: -kill-after must fall inside the vote phase (0 < -kill-after < -duration, -votes-per-sec > 0)")
	}
	if per := cfg.votesPerSec / float64(cfg.participants); per > 15 {
		logf("warning: %.1f votes/s per participant is close to Pejl's per-connection limit (20/s, burst 40); expect rate_limited", per)
	}
	debug.SetGCPercent(400) // the generator allocates a lot of short-lived frames

	// The generator holds every participant socket; each server inherits the limit and
	// holds its share (Go raises a process's soft limit to the hard one at start).
	need := uint64(cfg.participants) + 1024
	nofile, err := raiseNoFile(need)
	if err != nil {
		logf("warning: cannot raise RLIMIT_NOFILE: %v", err)
	}
	if cfg.perProc <= 0 {
		cfg.perProc = max(1000, int(nofile)-1024)
	}
	if cfg.participants > cfg.perProc {
		if cfg.failover {
			return fmt.Errorf("open-file limit %d: at most %d participants in one process for this scenario", nofile, cfg.perProc)
		}
		logf("open-file limit %d: this process opens %d participants, helper processes the other %d (idle: they join and stay)",
			nofile, cfg.perProc, cfg.participants-cfg.perProc)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	root, err := moduleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "pejl-loadgen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	bins := map[string]string{}
	for _, t := range cfg.targets {
		if _, ok := bins[t]; ok {
			continue
		}
		if t == "pejl" && cfg.bin != "" {
			bins[t] = cfg.bin
			continue
		}
		pkg := map[string]string{"pejl": "./server", "centrifuge": "./bench/peers/centrifuge", "floor": "./bench/peers/floor"}[t]
		out := filepath.Join(tmp, "bin-"+t)
		logf("building %s (%s)", t, pkg)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", pkg, err)
		}
		bins[t] = out
	}

	if scenario == "survey" {
		return surveyMain(ctx, cfg, sc, absPath(bins["pejl"]), tmp)
	}

	rep := &report{
		Command:   "go run ./bench/loadgen " + strings.Join(os.Args[1:], " "),
		Started:   time.Now().UTC().Format(time.RFC3339),
		Host:      hostInfo(nofile),
		GitCommit: gitCommit(root),
		Note:      "Loopback on one machine shared with other engineers' test runs: generator, server (and Redis) compete for the same 2 cores; see load_avg_before/after per run.",
	}
	var pejlStateBytes int64
	for run := 1; run <= cfg.runs && ctx.Err() == nil; run++ {
		for _, name := range cfg.targets {
			if ctx.Err() != nil {
				break
			}
			dir := filepath.Join(tmp, fmt.Sprintf("run%d-%s", run, name))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			var tgt target
			var note string
			if name == "pejl" {
				pt := &pejlTarget{bin: absPath(bins[name]), tmp: dir, redisURL: cfg.redis, redisFsync: cfg.redisFsync, instances: cfg.instances}
				if n := cfg.participants + 1; n > defaultParticipantsPerSession {
					// The canary is a participant too.
					pt.extraEnv = append(pt.extraEnv, "PEJL_LIMIT_PARTICIPANTS_PER_SESSION="+strconv.Itoa(n))
					note = fmt.Sprintf("PEJL_LIMIT_PARTICIPANTS_PER_SESSION=%d: the %d participants and the canary", n, cfg.participants)
				}
				tgt = pt
			} else {
				tgt = &peerTarget{kind: name, bin: bins[name], tmp: dir, stateBytes: func() int {
					switch {
					case cfg.stateBytes > 0:
						return cfg.stateBytes
					case pejlStateBytes > 0:
						return int(pejlStateBytes)
					}
					return 1500
				}}
			}
			res := runOnce(ctx, cfg, tgt, run)
			res.Note = note
			if name == "pejl" && res.SectionChange.StateBytes > 0 {
				pejlStateBytes = res.SectionChange.StateBytes
			}
			rep.Runs = append(rep.Runs, res)
			printRun(res)
			_ = os.RemoveAll(dir)
		}
	}
	rep.Finished = time.Now().UTC().Format(time.RFC3339)
	rep.Medians, rep.Ratios = summarize(cfg.targets, rep.Runs)
	printSummary(cfg, rep)
	if cfg.out != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(cfg.out, append(b, '\n'), 0o644); err != nil {
			return err
		}
		logf("wrote %s", cfg.out)
	}
	failed := 0
	for _, r := range rep.Runs {
		if r.Error != "" {
			failed++
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d runs failed (see above)", failed, len(rep.Runs))
	}
	if cfg.check {
		var bad []string
		for _, r := range rep.Runs {
			for _, p := range violations(r) {
				bad = append(bad, fmt.Sprintf("%s run %d: %s", r.Target, r.Run, p))
			}
		}
		if len(bad) > 0 {
			fmt.Fprintln(os.Stderr, "loadgen: correctness check failed (-check=false to ignore):\n  "+strings.Join(bad, "\n  "))
			os.Exit(2)
		}
	}
	return nil
}

// violations lists the correctness invariants a run broke.
func violations(r *runResult) []string {
	var out []string
	if r.Handshakes.Failed > 0 {
		out = append(out, fmt.Sprintf("%d failed handshakes", r.Handshakes.Failed))
	}
	if r.Votes.Lost > 0 {
		out = append(out, fmt.Sprintf("%d votes lost (no ack within 10 s)", r.Votes.Lost))
	}
	if !r.ExactlyOnce.OK {
		out = append(out, fmt.Sprintf("exactly-once: server n=%d, acknowledged pairs=%d, sent pairs=%d, value mismatch %d %s",
			r.ExactlyOnce.ServerN, r.ExactlyOnce.AckedPairs, r.ExactlyOnce.SentPairs, r.ExactlyOnce.CountsMismatch, r.ExactlyOnce.Error))
	}
	if r.Order.OutOfOrder > 0 {
		out = append(out, fmt.Sprintf("%d answers came before the answer to a message sent earlier on the same socket", r.Order.OutOfOrder))
	}
	if r.SectionChange.Missing > 0 || r.SectionChange.Error != "" {
		out = append(out, fmt.Sprintf("section change: %d states missing %s", r.SectionChange.Missing, r.SectionChange.Error))
	}
	if r.TalliesEqual != nil && !*r.TalliesEqual {
		out = append(out, "the instances answered different tallies")
	}
	if f := r.Failover; f != nil && (f.NotBack > 0 || f.Phones == 0) {
		out = append(out, fmt.Sprintf("failover: %d of the %d phones of the killed instance did not come back", f.NotBack, f.Phones))
	}
	if f := r.Failover; f != nil && f.Same < f.Back {
		out = append(out, fmt.Sprintf("failover: %d of the %d phones back were not welcomed as the same participant", f.Back-f.Same, f.Back))
	}
	return out
}

// defaultParticipantsPerSession is Pejl's default bound on a session's participants.
const defaultParticipantsPerSession = 30000

// raiseNoFile raises the soft open-file limit to the hard limit, and the hard limit to need
// when it is lower (which only root may), and returns the soft limit. (Set explicitly, the
// servers started from here inherit it too.)
func raiseNoFile(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Max < need {
		up := syscall.Rlimit{Cur: need, Max: need}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &up) == nil {
			return need, nil
		}
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return lim.Cur, err
	}
	return lim.Cur, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for i := 0; i < 32; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(strings.TrimSpace(string(b)), "module pejl") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("run loadgen inside the pejl module (no go.mod with \"module pejl\" above the working directory)")
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func gitCommit(root string) string {
	cmd := exec.Command("git", "rev-parse", "--short", "HEAD")
	cmd.Dir = root
	b, err := cmd.Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(b))
	cmd = exec.Command("git", "status", "--porcelain", "--untracked-files=no")
	cmd.Dir = root
	if s, err := cmd.Output(); err == nil && len(strings.TrimSpace(string(s))) > 0 {
		c += "-dirty"
	}
	return c
}

// ---- the report ----

type report struct {
	Command   string                        `json:"command"`
	Started   string                        `json:"started"`
	Finished  string                        `json:"finished"`
	GitCommit string                        `json:"git_commit"`
	Host      map[string]string             `json:"host"`
	Note      string                        `json:"note"`
	Runs      []*runResult                  `json:"runs"`
	Medians   map[string]map[string]float64 `json:"medians"`
	Ratios    map[string]map[string]float64 `json:"ratios_pejl_over"`
}

func hostInfo(nofile uint64) map[string]string {
	h := map[string]string{
		"cpus":       strconv.Itoa(runtime.NumCPU()),
		"go":         runtime.Version(),
		"os":         runtime.GOOS + "/" + runtime.GOARCH,
		"nofile":     strconv.FormatUint(nofile, 10),
		"load_start": loadAvg(),
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h["kernel"] = strings.TrimSpace(string(b))
	}
	return h
}

// metric names one figure of a run, for medians and ratios.
type metric struct {
	name string
	get  func(*runResult) float64
	// ratio: print pejl ÷ peer for this metric
	ratio bool
}

var metrics = []metric{
	{"handshakes_failed", func(r *runResult) float64 { return float64(r.Handshakes.Failed) }, false},
	{"handshake_p99_ms", func(r *runResult) float64 { return r.Handshakes.ToWelcomeMs.P99 }, true},
	{"kib_per_connection", func(r *runResult) float64 { return r.Memory.KiBPerConn }, true},
	{"acks_per_s", func(r *runResult) float64 { return r.Votes.AckRate }, true},
	{"ack_p50_ms", func(r *runResult) float64 { return r.Votes.Ack.P50 }, true},
	{"ack_p99_ms", func(r *runResult) float64 { return r.Votes.Ack.P99 }, true},
	{"vote_errors", func(r *runResult) float64 { return float64(r.Votes.ErrorsTotal) }, false},
	{"votes_lost", func(r *runResult) float64 { return float64(r.Votes.Lost) }, false},
	{"vote_to_facilitator_p50_ms", func(r *runResult) float64 { return r.Canary.ToFacilitator.P50 }, true},
	{"vote_to_facilitator_p99_ms", func(r *runResult) float64 { return r.Canary.ToFacilitator.P99 }, true},
	{"section_change_p50_ms", func(r *runResult) float64 { return r.SectionChange.ToAll.P50 }, true},
	{"section_change_p99_ms", func(r *runResult) float64 { return r.SectionChange.ToAll.P99 }, true},
	{"section_change_missing", func(r *runResult) float64 { return float64(r.SectionChange.Missing) }, false},
	{"exactly_once_ok", func(r *runResult) float64 {
		if r.ExactlyOnce.OK {
			return 1
		}
		return 0
	}, false},
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func summarize(targets []string, runs []*runResult) (map[string]map[string]float64, map[string]map[string]float64) {
	med := map[string]map[string]float64{}
	for _, t := range targets {
		m := map[string]float64{}
		n := 0
		for _, mt := range metrics {
			var xs []float64
			for _, r := range runs {
				if r.Target == t && r.Error == "" {
					xs = append(xs, mt.get(r))
				}
			}
			n = len(xs)
			m[mt.name] = median(xs)
		}
		m["runs"] = float64(n)
		med[t] = m
	}
	ratios := map[string]map[string]float64{}
	p, ok := med["pejl"]
	if !ok {
		return med, nil
	}
	for _, t := range targets {
		if t == "pejl" {
			continue
		}
		rt := map[string]float64{}
		for _, mt := range metrics {
			if mt.ratio && med[t][mt.name] != 0 {
				rt[mt.name] = p[mt.name] / med[t][mt.name]
			}
		}
		ratios[t] = rt
	}
	return med, ratios
}

func printRun(r *runResult) {
	if r.Error != "" {
		logf("[%s run %d] FAILED: %s", r.Target, r.Run, r.Error)
	}
	logf("[%s run %d] done in %.0f s (load %s → %s)", r.Target, r.Run, r.WallS, r.LoadBefore, r.LoadAfter)
	if len(r.Votes.Errors) > 0 {
		logf("[%s run %d] vote errors: %v", r.Target, r.Run, r.Votes.Errors)
	}
	if len(r.Handshakes.Failures) > 0 {
		logf("[%s run %d] handshake failures: %v %q", r.Target, r.Run, r.Handshakes.Failures, r.Handshakes.Examples)
	}
	if len(r.ServerCloses) > 0 {
		logf("[%s run %d] sockets the server closed during the run (by close code): %v", r.Target, r.Run, r.ServerCloses)
	}
}

func printSummary(cfg *config, rep *report) {
	w := os.Stdout
	fmt.Fprintf(w, "\nloadgen: %d participants, ramp %.0f/s, %.0f votes/s for %s, %d section changes; engine %s; %d run(s) per target\n",
		cfg.participants, cfg.ramp, cfg.votesPerSec, cfg.duration, cfg.rounds, engineLabel(cfg), cfg.runs)
	fmt.Fprintf(w, "medians over successful runs (GOALS.md number in brackets)\n\n")
	fmt.Fprintf(w, "%-34s", "metric")
	for _, t := range cfg.targets {
		fmt.Fprintf(w, "%14s", t)
	}
	for _, t := range cfg.targets {
		if t != "pejl" && rep.Ratios != nil {
			fmt.Fprintf(w, "%16s", "pejl÷"+t)
		}
	}
	fmt.Fprintln(w)
	goals := map[string]string{
		"handshakes_failed": "G1 [0]", "kib_per_connection": "G2 [≤12]", "acks_per_s": "G3 [≥25000]",
		"ack_p50_ms": "G3 [≤10]", "ack_p99_ms": "G3 [≤50]", "votes_lost": "G3 [0]",
		"vote_to_facilitator_p50_ms": "G4 [≤150]", "vote_to_facilitator_p99_ms": "G4 [≤300]",
		"section_change_p99_ms": "G5 [≤250]", "exactly_once_ok": "G3 [1]",
	}
	rows := append([]metric{{name: "runs"}}, metrics...)
	for _, mt := range rows {
		label := mt.name
		if g, ok := goals[mt.name]; ok {
			label += " " + g
		}
		fmt.Fprintf(w, "%-34s", label)
		for _, t := range cfg.targets {
			fmt.Fprintf(w, "%14s", fmtNum(rep.Medians[t][mt.name]))
		}
		for _, t := range cfg.targets {
			if t == "pejl" || rep.Ratios == nil {
				continue
			}
			if v, ok := rep.Ratios[t][mt.name]; ok {
				fmt.Fprintf(w, "%16s", fmtNum(v))
			} else {
				fmt.Fprintf(w, "%16s", "")
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	for _, r := range rep.Runs {
		printInstances(w, r)
	}
}

func engineLabel(cfg *config) string {
	switch cfg.redis {
	case "":
		return "embedded (Pejl)"
	case "auto":
		return "redis, started per run (Pejl)"
	}
	return "redis " + cfg.redis + " (Pejl)"
}

func fmtNum(v float64) string {
	switch {
	case v == float64(int64(v)) && v < 1e9 && v > -1e9:
		return strconv.FormatInt(int64(v), 10)
	case v >= 100 || v <= -100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10 || v <= -10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
