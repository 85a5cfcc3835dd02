package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// lostAfter: a vote with no ack this long after its intended send time is lost.
const lostAfter = 10 * time.Second

// ---- results ----

type runResult struct {
	Run           int               `json:"run"`
	Target        string            `json:"target"`
	Engine        string            `json:"engine"`
	Participants  int               `json:"participants"`
	RampPerSec    float64           `json:"ramp_per_sec"`
	VotesPerSec   float64           `json:"votes_per_sec"`
	DurationS     float64           `json:"duration_s"`
	StartedAt     string            `json:"started_at"`
	WallS         float64           `json:"wall_s"`
	LoadBefore    string            `json:"load_avg_before"`
	LoadAfter     string            `json:"load_avg_after"`
	Error         string            `json:"error,omitempty"`
	Handshakes    handshakeResult   `json:"handshakes"`
	Memory        memoryResult      `json:"memory"`
	Votes         voteResult        `json:"votes"`
	Canary        canaryResult      `json:"canary"`
	SectionChange sectionResult     `json:"section_change"`
	ExactlyOnce   exactlyOnceResult `json:"exactly_once"`
	Order         orderResult       `json:"order"`
	ServerCloses  map[string]int64  `json:"server_closes"`
	CPU           cpuResult         `json:"cpu_seconds"`
	ServerLog     logSummary        `json:"server_log"`
	// Pejl only: one entry per instance (start → ready, phones, RSS, CPU, its tally).
	Instances []instanceResult `json:"instances,omitempty"`
	// TalliesEqual: every (surviving) instance answered the same tally as instance 0, the
	// one the exactly-once check read (G1b: all see the same tallies).
	TalliesEqual *bool           `json:"tallies_equal_across_instances,omitempty"`
	Failover     *failoverResult `json:"failover,omitempty"`
	Note         string          `json:"note,omitempty"`
}

// cpuResult is the CPU time used during the run, by the server (and Redis) and by the
// generator itself: on a shared 2-core machine this says who had the cores.
type cpuResult struct {
	Server    float64 `json:"server"`
	Redis     float64 `json:"redis,omitempty"`
	Generator float64 `json:"generator"`
}

// logSummary is what the server logged (Pejl runs at PEJL_LOG_LEVEL=warn, so every line
// is a warning or an error).
type logSummary struct {
	Lines int      `json:"lines"`
	First []string `json:"first,omitempty"`
}

type handshakeResult struct {
	Attempted   int              `json:"attempted"`
	OK          int              `json:"ok"`
	Failed      int64            `json:"failed"`
	Failures    map[string]int64 `json:"failures,omitempty"`
	Examples    []string         `json:"failure_examples,omitempty"`
	RampS       float64          `json:"ramp_s"`
	ToWelcomeMs latency          `json:"to_welcome"` // from the intended start of the dial
	// Held: participants opened by helper processes (-scenario hold), when one process may
	// not hold them all; their figures are included in the counts above, not in to_welcome.
	Held []handshakeResult `json:"held_by_helpers,omitempty"`
	// PerInstance: a helper's participants per instance.
	PerInstance []int `json:"per_instance,omitempty"`
}

type memoryResult struct {
	RSS0KiB       int64            `json:"rss_at_0_kib"`
	RSSNKiB       int64            `json:"rss_at_n_kib"`
	Connections   int              `json:"connections"`
	KiBPerConn    float64          `json:"kib_per_connection"`
	RSSEndKiB     int64            `json:"rss_after_votes_kib"`
	OtherRSSKiB   map[string]int64 `json:"other_processes_rss_kib,omitempty"`
	SettleSeconds float64          `json:"settle_s"`
}

type voteResult struct {
	Scheduled     int64            `json:"scheduled"`
	Sent          int64            `json:"sent"`
	SendErrors    int64            `json:"send_errors"`
	SkippedDead   int64            `json:"skipped_dead_sockets"`
	Acked         int64            `json:"acked"`
	Errors        map[string]int64 `json:"errors,omitempty"`
	ErrorsTotal   int64            `json:"errors_total"`
	Lost          int64            `json:"lost"` // no ack within 10 s (never, or late)
	NeverAnswered int64            `json:"never_answered"`
	LateAcks      int64            `json:"late_acks"`
	StrayAnswers  int64            `json:"stray_answers"`
	AckRate       float64          `json:"acks_per_s"` // acks within the vote phase / its length
	Ack           latency          `json:"ack"`
	SendLag       latency          `json:"send_lag"` // generator health: intended → written
	Overlaps      int64            `json:"overlapping_votes"`
}

type canaryResult struct {
	Sent          int64            `json:"sent"`
	Acked         int64            `json:"acked"`
	Errors        map[string]int64 `json:"errors,omitempty"`
	Seen          int64            `json:"seen_by_facilitator"`
	ToFacilitator latency          `json:"vote_to_facilitator"`
	Ack           latency          `json:"ack"`
	Tallies       int64            `json:"facilitator_tallies"`
}

type sectionResult struct {
	Rounds     int       `json:"rounds"`
	Expected   int64     `json:"expected"`
	Received   int64     `json:"received"`
	Missing    int64     `json:"missing"`
	ToAll      latency   `json:"goto_to_participant"`
	RoundMax   []float64 `json:"round_last_ms"` // time until the last participant had it
	GotoAck    latency   `json:"goto_ack"`
	StateBytes int64     `json:"state_frame_bytes"`
	Error      string    `json:"error,omitempty"`
}

type exactlyOnceResult struct {
	ServerN        int64  `json:"server_n"`
	AckedPairs     int64  `json:"acked_pairs"`
	SentPairs      int64  `json:"sent_pairs"`
	OK             bool   `json:"ok"`
	Exact          bool   `json:"exact"`
	CountsChecked  bool   `json:"value_counts_checked"`
	CountsMismatch int64  `json:"value_counts_mismatch"`
	Uncertain      int64  `json:"uncertain_pairs"`
	Note           string `json:"note,omitempty"`
	Error          string `json:"error,omitempty"`
}

// orderResult: messages of one socket must take effect, and be answered, in the order
// sent. The probes send bursts back to back; the value check of exactly_once then sees
// whether the last value sent is the one stored.
type orderResult struct {
	Probes     int   `json:"probes"`
	Bursts     int64 `json:"bursts"`
	Sent       int64 `json:"sent"`
	Acked      int64 `json:"acked"`
	OutOfOrder int64 `json:"answers_out_of_order"` // over every socket, not only the probes
}

// orderBurst is the number of votes a probe sends back to back each second (with the
// background votes, well under Pejl's limit of 20/s, burst 40).
const orderBurst = 8

// ---- one run ----

type runner struct {
	cfg   *config
	tgt   target
	proto protocol
	s     *sessionInfo
	clock clock
	res   *runResult

	parts  []*client
	canary *client
	fac    *client

	hsHist, ackHist, lagHist, canaryAck, canaryHist, g5Hist, gotoAck *hist
	hsFail                                                           counter
	hsExMu                                                           sync.Mutex
	hsExamples                                                       []string

	sent, acked, sendErr, dead, strayAnswers, lateAcks, overlaps, inflight atomic.Int64
	probeBursts, probeSent, probeAcked, outOfOrder                         atomic.Int64
	voteErrors, canaryErrors                                               counter
	voteStart, voteEnd                                                     atomic.Int64 // clock times (ns)
	ackedInPhase                                                           atomic.Int64

	canaryMu       sync.Mutex
	canarySent     []time.Duration
	canaryResolved int
	canaryAcked    atomic.Int64
	tallies        atomic.Int64

	g5         atomic.Pointer[g5Round]
	stateBytes atomic.Int64
	redisPID   int

	fo failoverState // -scenario failover

	// own participants are opened by this process, with indexes offset..offset+own-1; the
	// rest by helpers (see hold.go).
	own, offset int
	helpers     []*helper
}

type g5Round struct {
	n      int64
	want   []byte
	sentAt time.Duration
	got    atomic.Int64
	last   atomic.Int64 // latest arrival (ns since sentAt)
}

func runOnce(ctx context.Context, cfg *config, tgt target, runNo int) *runResult {
	res := &runResult{Run: runNo, Target: tgt.name(), Participants: cfg.participants, RampPerSec: cfg.ramp,
		VotesPerSec: cfg.votesPerSec, DurationS: cfg.duration.Seconds(), StartedAt: time.Now().UTC().Format(time.RFC3339),
		LoadBefore: loadAvg()}
	started := time.Now()
	r := &runner{cfg: cfg, tgt: tgt, proto: tgt.proto(), res: res, clock: clock{base: time.Now()}, own: min(cfg.participants, cfg.perProc),
		hsHist: newHist(), ackHist: newHist(), lagHist: newHist(), canaryAck: newHist(), canaryHist: newHist(),
		g5Hist: newHist(), gotoAck: newHist()}
	budget := time.Duration(float64(cfg.participants)/cfg.ramp*float64(time.Second)) + cfg.duration + 3*time.Minute
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	genCPU0 := selfCPU()
	err := r.run(ctx)
	res.Engine = tgt.engine()
	if err != nil {
		res.Error = err.Error()
		if tail := tgt.logTail(); tail != "" && !strings.Contains(res.Error, tail) {
			logf("server log (tail):\n%s", tail)
		}
	}
	r.closeAll()
	r.releaseHelpers()
	res.CPU.Server = r.serverCPU()
	if r.redisPID > 0 {
		res.CPU.Redis = cpuSeconds(r.redisPID)
	}
	res.CPU.Generator = selfCPU() - genCPU0
	tgt.stop()
	res.ServerLog = tgt.logSummary()
	res.LoadAfter = loadAvg()
	res.WallS = time.Since(started).Seconds()
	return res
}

func (r *runner) run(ctx context.Context) error {
	cfg, res := r.cfg, r.res
	if err := r.tgt.start(ctx); err != nil {
		return fmt.Errorf("start %s: %w", r.tgt.name(), err)
	}
	s, err := r.tgt.setup(ctx)
	if err != nil {
		return fmt.Errorf("set up the session: %w", err)
	}
	r.s = s
	r.initInstances()
	if rp, ok := r.tgt.(interface{ redisPid() int }); ok {
		r.redisPID = rp.redisPid()
	}

	// The facilitator (observer) and the canary.
	r.fac, err = r.connect(ctx, -1, 0, s.facURL, s.facHeader, true, r.onFac)
	if err != nil {
		return fmt.Errorf("facilitator socket: %w", err)
	}
	for _, c := range s.openWith {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := r.fac.command(cctx, &r.clock, c[0], c[1], c[2])
		cancel()
		if err != nil {
			return fmt.Errorf("facilitator: %w", err)
		}
	}
	// The canary is on instance 1 (when there are several), so that vote → facilitator
	// crosses instances.
	canaryInst := 1 % len(s.partURLs)
	r.canary, err = r.connect(ctx, -1, 0, s.partURLs[canaryInst], nil, false, r.onPart)
	if err != nil {
		return fmt.Errorf("canary socket: %w", err)
	}
	r.canary.inst.Store(int32(canaryInst))

	// G2: RSS with no participants, then with N idle ones.
	sleepCtx(ctx, time.Second)
	res.Memory.RSS0KiB = r.serverRSS(func(in *instanceResult, v int64) { in.RSS0KiB = v })
	logf("[%s run %d] %s engine ready; RSS %d KiB; opening %d participants at %.0f/s",
		r.tgt.name(), res.Run, r.tgt.engine(), res.Memory.RSS0KiB, cfg.participants, cfg.ramp)
	r.ramp(ctx)
	res.Handshakes.OK = len(r.parts)
	res.Handshakes.Failed = r.hsFail.total()
	res.Handshakes.Failures = r.hsFail.snapshot()
	res.Handshakes.Examples = r.hsExamples
	res.Handshakes.ToWelcomeMs = r.hsHist.summary()
	if len(r.parts) == 0 {
		return errors.New("no participant could join")
	}
	if err := r.hold(ctx); err != nil {
		return err
	}
	sleepCtx(ctx, cfg.settle)
	res.Memory.SettleSeconds = cfg.settle.Seconds()
	res.Memory.RSSNKiB = r.serverRSS(func(in *instanceResult, v int64) { in.RSSNKiB = v })
	r.countPhones()
	res.Memory.Connections = res.Handshakes.OK
	res.Memory.KiBPerConn = float64(res.Memory.RSSNKiB-res.Memory.RSS0KiB) / float64(res.Handshakes.OK)
	logf("[%s run %d] %d joined, %d failed (handshake p99 %.1f ms); RSS %d KiB → %.2f KiB per connection",
		r.tgt.name(), res.Run, res.Handshakes.OK, res.Handshakes.Failed, res.Handshakes.ToWelcomeMs.P99,
		res.Memory.RSSNKiB, res.Memory.KiBPerConn)

	// G3 and G4: votes on an open-loop schedule, with the canary.
	if cfg.votesPerSec > 0 && cfg.duration > 0 {
		r.votePhase(ctx)
	}
	r.finishFailover()
	res.Memory.RSSEndKiB = r.serverRSS(func(in *instanceResult, v int64) { in.RSSEndKiB = v })
	res.Memory.OtherRSSKiB = r.tgt.extraRSS()

	// G5: section changes to everyone, with no vote load.
	if cfg.rounds > 0 {
		if err := r.sectionPhase(ctx); err != nil {
			res.SectionChange.Error = err.Error()
			logf("[%s run %d] section change: %v", r.tgt.name(), res.Run, err)
		}
	}

	// Exactly once: the server's count against what was acknowledged.
	stats, err := r.checkExactlyOnce(ctx)
	if err != nil {
		res.ExactlyOnce.Error = err.Error()
		logf("[%s run %d] exactly-once check: %v", r.tgt.name(), res.Run, err)
	} else {
		r.checkInstances(ctx, stats)
	}

	res.ServerCloses = map[string]int64{}
	for _, c := range append([]*client{r.fac, r.canary}, r.parts...) {
		select {
		case <-c.done:
			res.ServerCloses[strconv.Itoa(c.closeCode())]++
		default:
		}
	}
	return nil
}

func (r *runner) connect(ctx context.Context, idx, src int, url string, hdr map[string][]string, facilitator bool,
	on func(*client, event, time.Duration)) (*client, error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := dialClient(dctx, idx, src, url, hdr, r.proto, on)
	if err != nil {
		return nil, err
	}
	if !facilitator {
		r.phone(c, src)
	}
	c.start(&r.clock)
	hctx, cancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel2()
	if err := c.hello(hctx, facilitator); err != nil {
		_ = c.ws.Close()
		return nil, err
	}
	return c, nil
}

// ---- G1: the ramp ----

func (r *runner) ramp(ctx context.Context) {
	cfg := r.cfg
	n := r.own
	slots := make([]*client, n)
	var wg sync.WaitGroup
	step := time.Duration(float64(time.Second) / cfg.ramp)
	t0 := r.clock.now()
	r.res.Handshakes.Attempted = n
	for i := 0; i < n; i++ {
		at := t0 + time.Duration(i)*step
		if d := at - r.clock.now(); d > time.Millisecond {
			sleepCtx(ctx, d)
		}
		if ctx.Err() != nil {
			r.hsFail.add("not_attempted", int64(n-i))
			break
		}
		wg.Add(1)
		go func(i int, at time.Duration) {
			defer wg.Done()
			c, err := r.join(ctx, r.offset+i, at)
			if err != nil {
				return
			}
			slots[i] = c
		}(i, at)
	}
	wg.Wait()
	r.res.Handshakes.RampS = (r.clock.now() - t0).Seconds()
	for _, c := range slots {
		if c != nil {
			r.parts = append(r.parts, c)
		}
	}
}

func (r *runner) join(ctx context.Context, i int, at time.Duration) (*client, error) {
	src := 1 + i%r.cfg.srcHosts
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// Participants are spread round-robin over the instances.
	inst := i % len(r.s.partURLs)
	c, err := dialClient(dctx, i, src, r.s.partURLs[inst], nil, r.proto, r.onPart)
	if err != nil {
		r.hsFailed(dialKind(err), err)
		return nil, err
	}
	c.inst.Store(int32(inst))
	r.phone(c, src)
	c.start(&r.clock)
	hctx, cancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel2()
	if err := c.hello(hctx, false); err != nil {
		kind := "no_welcome_in_10s"
		switch {
		case c.refused.Load() != nil:
			kind = "refused_" + *c.refused.Load()
		case isDone(c.done):
			kind = "closed_before_welcome_" + strconv.Itoa(c.closeCode())
		}
		r.hsFailed(kind, err)
		_ = c.ws.Close()
		return nil, err
	}
	r.hsHist.record(r.clock.now() - at)
	return c, nil
}

func (r *runner) hsFailed(kind string, err error) {
	r.hsFail.add(kind, 1)
	r.hsExMu.Lock()
	if len(r.hsExamples) < 5 {
		r.hsExamples = append(r.hsExamples, kind+": "+clip(err.Error(), 160))
	}
	r.hsExMu.Unlock()
}

func dialKind(err error) string {
	var de *dialErr
	if errors.As(err, &de) && de.status != 0 {
		return "http_" + strconv.Itoa(de.status)
	}
	var ne net.Error
	s := err.Error()
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "dial_timeout"
	case strings.Contains(s, "refused"):
		return "dial_refused"
	case strings.Contains(s, "reset"):
		return "dial_reset"
	case strings.Contains(s, "too many open files"):
		return "dial_emfile"
	case strings.Contains(s, "address"):
		return "dial_address"
	}
	return "dial_other"
}

// ---- G3/G4: votes ----

type voteJob struct {
	c   *client
	at  time.Duration
	st  int8
	val int8
}

func (r *runner) votePhase(ctx context.Context) {
	cfg, res := r.cfg, r.res
	total := int64(cfg.duration.Seconds() * cfg.votesPerSec)
	res.Votes.Scheduled = total
	logf("[%s run %d] voting: %d votes at %.0f/s over %s (open loop)", r.tgt.name(), res.Run, total, cfg.votesPerSec, cfg.duration)

	jobs := make(chan voteJob, 1<<16)
	var wg sync.WaitGroup
	for w := 0; w < cfg.senders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r.sendVote(j)
			}
		}()
	}
	stopCanary := make(chan struct{})
	canaryDone := make(chan struct{})
	go func() {
		defer close(canaryDone)
		r.canaryLoop(ctx, stopCanary)
	}()
	orderDone := make(chan struct{})
	go func() {
		defer close(orderDone)
		r.orderLoop(ctx, stopCanary)
	}()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	interval := float64(time.Second) / cfg.votesPerSec
	start := r.clock.now()
	r.voteStart.Store(int64(start))
	failoverDone := make(chan struct{})
	go func() {
		defer close(failoverDone)
		if cfg.failover {
			r.failover(ctx, start)
		}
	}()
	hardStop := start + cfg.duration + 30*time.Second
	n := int64(len(r.parts))
	var i int64
	for i < total && ctx.Err() == nil {
		now := r.clock.now()
		if now > hardStop {
			break
		}
		due := min(total, int64(float64(now-start)/interval)+1)
		for ; i < due; i++ {
			at := start + time.Duration(float64(i)*interval)
			jobs <- voteJob{c: r.parts[i%n], at: at, st: int8(rng.IntN(3)), val: int8(1 + rng.IntN(5))}
		}
		time.Sleep(time.Millisecond)
	}
	close(jobs)
	wg.Wait()
	end := r.clock.now()
	r.voteEnd.Store(int64(end))
	close(stopCanary)
	<-canaryDone
	<-orderDone
	<-failoverDone

	// Drain: wait for the answers, at most lostAfter past the last intended send.
	last := start + time.Duration(float64(total)*interval)
	for r.inflight.Load() > 0 && r.clock.now() < last+lostAfter && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	var never int64
	for _, c := range r.parts {
		c.pmu.Lock()
		for _, p := range c.pending {
			if p.canary == 0 && p.ack == nil {
				never++
			}
		}
		c.pmu.Unlock()
	}
	// Let the canary's last votes reach the facilitator.
	sleepCtx(ctx, time.Second)

	v := &res.Votes
	v.Sent = r.sent.Load()
	v.SendErrors = r.sendErr.Load()
	v.SkippedDead = r.dead.Load()
	v.Acked = r.acked.Load()
	v.Errors = r.voteErrors.snapshot()
	v.ErrorsTotal = r.voteErrors.total()
	v.NeverAnswered = never
	v.LateAcks = r.lateAcks.Load()
	v.Lost = never + v.LateAcks
	v.StrayAnswers = r.strayAnswers.Load()
	v.Ack = r.ackHist.summary()
	v.SendLag = r.lagHist.summary()
	v.Overlaps = r.overlaps.Load()
	phase := (end - start).Seconds()
	if phase > 0 {
		v.AckRate = float64(r.ackedInPhase.Load()) / phase
	}
	c := &res.Canary
	r.canaryMu.Lock()
	c.Sent = int64(len(r.canarySent))
	c.Seen = int64(r.canaryResolved)
	r.canaryMu.Unlock()
	c.Acked = r.canaryAcked.Load()
	c.Errors = r.canaryErrors.snapshot()
	c.ToFacilitator = r.canaryHist.summary()
	c.Ack = r.canaryAck.summary()
	c.Tallies = r.tallies.Load()
	o := &res.Order
	o.Probes = min(r.cfg.orderProbes, len(r.parts))
	o.Bursts, o.Sent, o.Acked = r.probeBursts.Load(), r.probeSent.Load(), r.probeAcked.Load()
	o.OutOfOrder = r.outOfOrder.Load()
	logf("[%s run %d] order: %d probes sent %d bursts (%d votes, %d acked); answers out of order %d",
		r.tgt.name(), res.Run, o.Probes, o.Bursts, o.Sent, o.Acked, o.OutOfOrder)
	logf("[%s run %d] votes: sent %d, acked %d (%.0f/s), errors %d, lost %d; ack p50 %.1f ms p99 %.1f ms; vote→facilitator p50 %.0f ms p99 %.0f ms",
		r.tgt.name(), res.Run, v.Sent, v.Acked, v.AckRate, v.ErrorsTotal, v.Lost, v.Ack.P50, v.Ack.P99,
		c.ToFacilitator.P50, c.ToFacilitator.P99)
}

func (r *runner) sendVote(j voteJob) {
	if isDone(j.c.done) {
		r.dead.Add(1)
		return
	}
	if r.sendTracked(j.c, j.at, j.st, j.val, false) {
		r.sent.Add(1)
		r.lagHist.record(r.clock.now() - j.at)
	}
}

// sendTracked sends one vote on statement st and keeps what the exactly-once check needs.
func (r *runner) sendTracked(c *client, at time.Duration, st, val int8, probe bool) bool {
	value := []byte{'0' + byte(val)}
	r.inflight.Add(1)
	_, err := c.send(pendingMsg{at: at, statement: st, value: val, probe: probe}, func(seq uint32) []byte {
		c.pmu.Lock()
		l := &c.last[st]
		if l.seq != 0 && !l.acked && !probe {
			if _, still := c.pending[l.seq]; still {
				r.overlaps.Add(1)
			}
		}
		*l = lastVote{seq: seq, val: val}
		c.statSent |= 1 << st
		c.pmu.Unlock()
		return r.proto.vote(seq, r.s.scale, r.s.statements[st], value)
	})
	if err != nil {
		r.inflight.Add(-1)
		r.sendErr.Add(1)
		return false
	}
	return true
}

// orderLoop has each probe send a burst of orderBurst votes on one statement back to back,
// every second, with values that differ from one vote to the next: if the server applied
// them out of order, a value other than the last would stay stored.
func (r *runner) orderLoop(ctx context.Context, stop <-chan struct{}) {
	probes := r.parts[:min(r.cfg.orderProbes, len(r.parts))]
	if len(probes) == 0 {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for k := 0; ; k++ {
		for i, c := range probes {
			if isDone(c.done) {
				continue
			}
			st := int8((k + i) % 3)
			r.probeBursts.Add(1)
			for b := range orderBurst {
				if !r.sendTracked(c, r.clock.now(), st, int8(1+(k+b)%5), true) {
					break
				}
				r.probeSent.Add(1)
			}
		}
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (r *runner) canaryLoop(ctx context.Context, stop <-chan struct{}) {
	// One vote per 100 ms slot, at a random point of its slot: servers push tallies on a
	// 100 ms tick too, and a canary in lockstep with that tick would measure only the
	// phase between the two clocks.
	const every = 100 * time.Millisecond
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	t0 := r.clock.now()
	limit := int(r.cfg.duration/every) + 1
	for k := 1; k <= limit; k++ {
		at := t0 + time.Duration(k-1)*every + time.Duration(rng.Int64N(int64(every)))
		if d := at - r.clock.now(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-stop:
				t.Stop()
				return
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		select {
		case <-stop:
			return
		default:
		}
		r.canaryMu.Lock()
		r.canarySent = append(r.canarySent, at)
		r.canaryMu.Unlock()
		value := []byte(`["c` + strconv.Itoa(k) + `"]`)
		k := k
		_, err := r.canary.send(pendingMsg{at: at, statement: -1, canary: int32(k)}, func(seq uint32) []byte {
			return r.proto.vote(seq, r.s.canary, "", value)
		})
		if err != nil {
			r.canaryErrors.add("send", 1)
			return
		}
	}
}

// onPart handles what a participant (or the canary) receives.
func (r *runner) onPart(c *client, ev event, at time.Duration) {
	switch ev.kind {
	case evAck:
		p, ok := c.take(ev.seq)
		if !ok {
			r.strayAnswers.Add(1)
			return
		}
		r.answerOrder(c, ev.seq)
		lat := at - p.at
		if p.canary > 0 {
			r.canaryAcked.Add(1)
			r.canaryAck.record(lat)
			return
		}
		r.inflight.Add(-1)
		if p.probe {
			r.probeAcked.Add(1)
		} else {
			r.acked.Add(1)
			if end := r.voteEnd.Load(); end == 0 || int64(at) <= end {
				r.ackedInPhase.Add(1)
			}
			r.ackHist.record(lat)
		}
		if lat > lostAfter {
			r.lateAcks.Add(1)
		}
		if p.statement >= 0 {
			c.pmu.Lock()
			c.statAcks |= 1 << p.statement
			if l := &c.last[p.statement]; l.seq == ev.seq {
				l.acked = true
			}
			c.pmu.Unlock()
		}
	case evError:
		if ev.seq == 0 {
			r.voteErrors.add("unanswerable_"+ev.code, 1)
			return
		}
		p, ok := c.take(ev.seq)
		if !ok {
			r.strayAnswers.Add(1)
			return
		}
		if ev.code != "rate_limited" { // answered by the reader, as it drops the message
			r.answerOrder(c, ev.seq)
		}
		if p.canary > 0 {
			r.canaryErrors.add(ev.code, 1)
			return
		}
		r.inflight.Add(-1)
		r.voteErrors.add(ev.code, 1)
	case evState:
		g := r.g5.Load()
		if g == nil || c.idx < 0 || c.round.Load() >= g.n || !bytes.Contains(ev.raw, g.want) {
			return
		}
		c.round.Store(g.n)
		lat := at - g.sentAt
		r.g5Hist.record(lat)
		g.got.Add(1)
		for {
			old := g.last.Load()
			if int64(lat) <= old || g.last.CompareAndSwap(old, int64(lat)) {
				break
			}
		}
		for {
			old := r.stateBytes.Load()
			if int64(len(ev.raw)) <= old || r.stateBytes.CompareAndSwap(old, int64(len(ev.raw))) {
				break
			}
		}
	}
}

// answerOrder counts an answer that came after the answer to a later message of the socket.
func (r *runner) answerOrder(c *client, seq uint32) {
	c.pmu.Lock()
	if seq < c.lastAnswer {
		r.outOfOrder.Add(1)
	} else {
		c.lastAnswer = seq
	}
	c.pmu.Unlock()
}

// onFac handles what the facilitator receives: answers to its commands, and tallies.
func (r *runner) onFac(c *client, ev event, at time.Duration) {
	switch ev.kind {
	case evAck, evError:
		if p, ok := c.take(ev.seq); ok && p.ack != nil {
			p.ack <- ev
		}
	case evTally:
		r.tallies.Add(1)
		var m struct {
			Activity string `json:"activity"`
			Results  struct {
				Words map[string]int64 `json:"words"`
			} `json:"results"`
		}
		if json.Unmarshal(ev.raw, &m) != nil || m.Activity != r.s.canary {
			return
		}
		best := 0
		for w, n := range m.Results.Words {
			if n <= 0 || !strings.HasPrefix(w, "c") {
				continue
			}
			if k, err := strconv.Atoi(w[1:]); err == nil && k > best {
				best = k
			}
		}
		r.canaryMu.Lock()
		for j := r.canaryResolved + 1; j <= best && j <= len(r.canarySent); j++ {
			r.canaryHist.record(at - r.canarySent[j-1])
			r.canaryResolved = j
		}
		r.canaryMu.Unlock()
	}
}

// ---- G5: section change to everyone ----

func (r *runner) sectionPhase(ctx context.Context) error {
	res := &r.res.SectionChange
	res.Rounds = r.cfg.rounds
	sleepCtx(ctx, 500*time.Millisecond)
	for k := 1; k <= r.cfg.rounds && ctx.Err() == nil; k++ {
		sec := r.s.sections[(k-1)%2]
		var alive int64
		for _, c := range r.parts {
			if !isDone(c.done) {
				alive++
			}
		}
		g := &g5Round{n: int64(k), want: []byte(`"current_section":"` + sec + `"`)}
		g.sentAt = r.clock.now()
		r.g5.Store(g)
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		d, err := r.fac.command(cctx, &r.clock, "goto", "section", sec)
		cancel()
		if err != nil {
			r.finishSections()
			return fmt.Errorf("section change %d: %w", k, err)
		}
		r.gotoAck.record(d)
		deadline := r.clock.now() + 5*time.Second
		for g.got.Load() < alive && r.clock.now() < deadline && ctx.Err() == nil {
			time.Sleep(2 * time.Millisecond)
		}
		got := g.got.Load()
		res.Expected += alive
		res.Received += got
		res.RoundMax = append(res.RoundMax, float64(g.last.Load())/1e6)
		sleepCtx(ctx, 700*time.Millisecond)
	}
	r.finishSections()
	logf("[%s run %d] section change → %d participants: p50 %.1f ms, p99 %.1f ms, max %.1f ms, missing %d (state frame %d B)",
		r.tgt.name(), r.res.Run, len(r.parts), res.ToAll.P50, res.ToAll.P99, res.ToAll.Max, res.Missing, res.StateBytes)
	return nil
}

func (r *runner) finishSections() {
	res := &r.res.SectionChange
	r.g5.Store(nil)
	res.Missing = res.Expected - res.Received
	res.ToAll = r.g5Hist.summary()
	res.GotoAck = r.gotoAck.summary()
	res.StateBytes = r.stateBytes.Load()
}

// ---- exactly once ----

func (r *runner) checkExactlyOnce(ctx context.Context) (map[string]statementResult, error) {
	e := &r.res.ExactlyOnce
	expected := [3]map[string]int64{{}, {}, {}}
	for _, c := range r.parts {
		c.pmu.Lock()
		e.AckedPairs += int64(bits.OnesCount8(c.statAcks))
		e.SentPairs += int64(bits.OnesCount8(c.statSent))
		for st := range c.last {
			l := c.last[st]
			switch {
			case l.seq == 0:
			case l.acked:
				expected[st][strconv.Itoa(int(l.val))]++
			default:
				e.Uncertain++
			}
		}
		c.pmu.Unlock()
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	stats, err := r.tgt.tally(tctx, r.s)
	if err != nil {
		return nil, err
	}
	for st, sid := range r.s.statements {
		sr := stats[sid]
		e.ServerN += sr.N
		if e.Uncertain == 0 {
			keys := map[string]bool{}
			for k := range sr.Counts {
				keys[k] = true
			}
			for k := range expected[st] {
				keys[k] = true
			}
			for k := range keys {
				if sr.Counts[k] != expected[st][k] {
					d := sr.Counts[k] - expected[st][k]
					if d < 0 {
						d = -d
					}
					e.CountsMismatch += d
				}
			}
		}
	}
	e.CountsChecked = e.Uncertain == 0
	e.Exact = e.ServerN == e.AckedPairs
	// Every acknowledged (participant, statement) is counted once; a vote that was sent but
	// never acknowledged may or may not be stored, so it may add a pair.
	e.OK = e.ServerN >= e.AckedPairs && e.ServerN <= e.SentPairs && (!e.CountsChecked || e.CountsMismatch == 0)
	if e.SentPairs != e.AckedPairs {
		e.Note = "some votes were never acknowledged; the server's n may lie between acked_pairs and sent_pairs"
	}
	logf("[%s run %d] exactly once: server n=%d, acknowledged pairs=%d (sent %d), value counts mismatch %d → ok=%v",
		r.tgt.name(), r.res.Run, e.ServerN, e.AckedPairs, e.SentPairs, e.CountsMismatch, e.OK)
	return stats, nil
}

// closeAll closes every socket, a few hundred at a time.
func (r *runner) closeAll() {
	all := append([]*client{}, r.parts...)
	if r.canary != nil {
		all = append(all, r.canary)
	}
	if r.fac != nil {
		all = append(all, r.fac)
	}
	work := make(chan *client)
	var wg sync.WaitGroup
	for w := 0; w < 256; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				c.close()
			}
		}()
	}
	for _, c := range all {
		work <- c
	}
	close(work)
	wg.Wait()
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
