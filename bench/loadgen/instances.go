package main

// Several Pejl instances sharing one Redis (-instances N, G1b), and the failover scenario
// (-scenario failover, G7): the phones of an instance that is killed come back on the others.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"
)

// instanceResult is one Pejl process of a run.
type instanceResult struct {
	Index          int     `json:"index"`
	StartToReadyMs float64 `json:"start_to_ready_ms"` // exec → /readyz answered 200 (G7: ≤ 1 s)
	Phones         int     `json:"phones"`            // participant sockets on it after the ramp
	RSS0KiB        int64   `json:"rss_at_0_kib"`
	RSSNKiB        int64   `json:"rss_at_n_kib"`
	RSSEndKiB      int64   `json:"rss_after_votes_kib"`
	CPU            float64 `json:"cpu_seconds"`
	TallyN         int64   `json:"tally_n"`
	TallyEqual     bool    `json:"tally_equal"` // the same tally as instance 0's
	TallyError     string  `json:"tally_error,omitempty"`
	Killed         bool    `json:"killed,omitempty"`
}

// failoverResult is G7's recovery: one instance is killed (SIGKILL) during the vote phase,
// and every phone that was on it must be back, welcomed by another instance, within 10 s.
type failoverResult struct {
	Instances      int              `json:"instances"`
	Killed         int              `json:"killed_instance"`
	KilledAfterS   float64          `json:"killed_after_s"` // into the vote phase
	Phones         int64            `json:"phones_on_killed"`
	Back           int64            `json:"back"`
	BackWithin10s  int64            `json:"back_within_10s"`
	NotBack        int64            `json:"not_back"`
	WithState      int64            `json:"welcomed_with_current_section"` // the welcome's snapshot shows the section on screen
	Same           int64            `json:"same_participant"`              // the welcome gave back the phone's resume token
	KillToWelcome  latency          `json:"kill_to_welcome"`
	KillToNoticed  latency          `json:"kill_to_socket_closed"`
	Resent         int64            `json:"resent_messages"` // outbox messages resent after a reconnect
	FailedAttempts map[string]int64 `json:"failed_attempts,omitempty"`
	// OtherReconnects are reconnects of phones that were not on the killed instance (none expected).
	OtherReconnects int64 `json:"other_reconnects"`
}

// failoverState is what the runner keeps for the failover scenario.
type failoverState struct {
	killAt       atomic.Int64 // clock time of the kill (ns); 0 before
	killed       atomic.Int32 // the killed instance, -1 before
	killedCPU    float64      // its CPU seconds, read just before the kill
	back, within atomic.Int64
	same         atomic.Int64
	withState    atomic.Int64
	resent       atomic.Int64
	others       atomic.Int64
	backHist     *hist
	noticedHist  *hist
	failed       counter
}

// phone makes c a reconnecting phone in the failover scenario (no-op otherwise).
func (r *runner) phone(c *client, src int) {
	if !r.cfg.failover {
		return
	}
	c.rd = &redial{urls: r.s.partURLs, src: src, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(c.idx+2))),
		onBack: r.onBack, onFail: func(kind string) { r.fo.failed.add(kind, 1) }}
}

// initInstances starts the per-instance results (Pejl) once the target runs.
func (r *runner) initInstances() {
	r.fo.killed.Store(-1)
	r.fo.backHist, r.fo.noticedHist = newHist(), newHist()
	pt, ok := r.tgt.(*pejlTarget)
	if !ok {
		return
	}
	for i, ms := range pt.readyMs {
		r.res.Instances = append(r.res.Instances, instanceResult{Index: i, StartToReadyMs: ms})
	}
	logf("[%s run %d] start → ready (ms, per instance): %v", r.tgt.name(), r.res.Run, pt.readyMs)
}

// pids are the server's processes: Pejl's instances (0 for a killed one), or the peer.
func (r *runner) pids() []int {
	if pt, ok := r.tgt.(*pejlTarget); ok {
		return pt.pids()
	}
	return []int{r.tgt.pid()}
}

// serverRSS is the server's RSS in KiB, summed over the instances; set keeps each one's.
func (r *runner) serverRSS(set func(*instanceResult, int64)) int64 {
	var sum int64
	for i, pid := range r.pids() {
		if pid == 0 {
			continue
		}
		v := rssKiB(pid)
		if i < len(r.res.Instances) {
			set(&r.res.Instances[i], v)
		}
		sum += max(v, 0)
	}
	return sum
}

// serverCPU is the server's CPU seconds, summed over the instances (a killed one counts
// with what it had used when it was killed).
func (r *runner) serverCPU() float64 {
	sum := r.fo.killedCPU
	for i, pid := range r.pids() {
		if pid == 0 {
			continue
		}
		v := cpuSeconds(pid)
		if i < len(r.res.Instances) {
			r.res.Instances[i].CPU = v
		}
		sum += v
	}
	return sum
}

// countPhones counts the participants on each instance.
func (r *runner) countPhones() {
	for _, c := range r.parts {
		if i := int(c.inst.Load()); i < len(r.res.Instances) {
			r.res.Instances[i].Phones++
		}
	}
	for _, h := range r.res.Handshakes.Held {
		for i, n := range h.PerInstance {
			if i < len(r.res.Instances) {
				r.res.Instances[i].Phones += n
			}
		}
	}
}

// checkInstances reads the tally from every other (surviving) instance and compares it with
// instance 0's, which the exactly-once check has just compared with what was acknowledged.
func (r *runner) checkInstances(ctx context.Context, stats map[string]statementResult) {
	pt, ok := r.tgt.(*pejlTarget)
	if !ok || len(r.res.Instances) == 0 {
		return
	}
	n := func(m map[string]statementResult) int64 {
		var s int64
		for _, st := range r.s.statements {
			s += m[st].N
		}
		return s
	}
	equal := true
	for i := range r.res.Instances {
		in := &r.res.Instances[i]
		if pt.killed[i] {
			continue
		}
		got := stats
		if i > 0 {
			tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			var err error
			got, err = pt.tallyAt(tctx, i, r.s)
			cancel()
			if err != nil {
				in.TallyError = err.Error()
				equal = false
				continue
			}
		}
		in.TallyN = n(got)
		in.TallyEqual = maps.EqualFunc(got, stats, func(a, b statementResult) bool {
			return a.N == b.N && maps.Equal(a.Counts, b.Counts)
		})
		equal = equal && in.TallyEqual
	}
	if len(r.res.Instances) > 1 {
		r.res.TalliesEqual = &equal
		logf("[%s run %d] tallies read from every instance: equal=%v", r.tgt.name(), r.res.Run, equal)
	}
}

// failover kills the last instance -kill-after into the vote phase and waits (at most 30 s)
// until every phone that was on it has been welcomed again elsewhere.
func (r *runner) failover(ctx context.Context, start time.Duration) {
	pt, ok := r.tgt.(*pejlTarget)
	if !ok || len(pt.procs) < 2 {
		return
	}
	k := len(pt.procs) - 1
	f := &failoverResult{Instances: len(pt.procs), Killed: k}
	r.res.Failover = f
	sleepCtx(ctx, start+r.cfg.killAfter-r.clock.now())
	if ctx.Err() != nil {
		return
	}
	for _, c := range append([]*client{r.canary}, r.parts...) {
		if int(c.inst.Load()) == k && !isDone(c.done) {
			f.Phones++
		}
	}
	r.fo.killedCPU = cpuSeconds(pt.procs[k].cmd.Process.Pid)
	r.res.Instances[k].CPU = r.fo.killedCPU
	r.res.Instances[k].Killed = true
	r.fo.killed.Store(int32(k))
	killAt := r.clock.now()
	r.fo.killAt.Store(int64(killAt))
	pt.kill(k)
	f.KilledAfterS = (killAt - start).Seconds()
	logf("[%s run %d] killed instance %d (SIGKILL) with %d phones on it", r.tgt.name(), r.res.Run, k, f.Phones)
	for r.fo.back.Load() < f.Phones && r.clock.now() < killAt+30*time.Second && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	f.Back, f.BackWithin10s, f.WithState, f.Same = r.fo.back.Load(), r.fo.within.Load(), r.fo.withState.Load(), r.fo.same.Load()
	f.NotBack = f.Phones - f.Back
	f.KillToWelcome, f.KillToNoticed = r.fo.backHist.summary(), r.fo.noticedHist.summary()
	logf("[%s run %d] failover: %d of %d phones back (%d within 10 s); kill → welcome p50 %.0f ms, p99 %.0f ms, max %.0f ms",
		r.tgt.name(), r.res.Run, f.Back, f.Phones, f.BackWithin10s, f.KillToWelcome.P50, f.KillToWelcome.P99, f.KillToWelcome.Max)
}

// finishFailover adds what happened after the wait (resends, other reconnects, failures).
func (r *runner) finishFailover() {
	f := r.res.Failover
	if f == nil {
		return
	}
	f.Resent, f.OtherReconnects, f.FailedAttempts = r.fo.resent.Load(), r.fo.others.Load(), r.fo.failed.snapshot()
}

// onBack is called (on the phone's reader) when a phone has been welcomed again.
func (r *runner) onBack(c *client, from int, lostAt, backAt time.Duration, welcome []byte, resent int, same bool) {
	r.fo.resent.Add(int64(resent))
	killAt := time.Duration(r.fo.killAt.Load())
	if killAt == 0 || from != int(r.fo.killed.Load()) {
		r.fo.others.Add(1)
		return
	}
	d := backAt - killAt
	r.fo.backHist.record(d)
	r.fo.noticedHist.record(lostAt - killAt)
	if d <= 10*time.Second {
		r.fo.within.Add(1)
	}
	// During the vote phase the section on screen is the second of the G5 pair (s2).
	if bytes.Contains(welcome, []byte(`"current_section":"`+r.s.sections[1]+`"`)) {
		r.fo.withState.Add(1)
	}
	if same {
		r.fo.same.Add(1)
	}
	r.fo.back.Add(1)
}

// printInstances prints a run's instances (start → ready, G7; the same tallies, G1b) and
// its failover (G7), when it has them.
func printInstances(w io.Writer, r *runResult) {
	if len(r.Instances) == 0 {
		return
	}
	var ready float64
	for _, in := range r.Instances {
		ready = max(ready, in.StartToReadyMs)
	}
	eq := "-"
	if r.TalliesEqual != nil {
		eq = strconv.FormatBool(*r.TalliesEqual)
	}
	fmt.Fprintf(w, "%s run %d: %d instance(s); start → ready max %.0f ms [G7 ≤1000]; tallies equal on every instance %s [G1b]; exactly once %v; RSS %d KiB, server CPU %.1f s (sums)\n",
		r.Target, r.Run, len(r.Instances), ready, eq, r.ExactlyOnce.OK, r.Memory.RSSNKiB, r.CPU.Server)
	if len(r.Instances) > 1 {
		fmt.Fprintf(w, "  vote (canary, instance 1) → facilitator (instance 0): p50 %.0f ms, p99 %.0f ms [G1b p99 ≤500]; %d participants joined, %d failed\n",
			r.Canary.ToFacilitator.P50, r.Canary.ToFacilitator.P99, r.Handshakes.OK, r.Handshakes.Failed)
	}
	for _, in := range r.Instances {
		state := ""
		if in.Killed {
			state = " (killed)"
		}
		tally := fmt.Sprintf("tally n=%d equal=%v %s", in.TallyN, in.TallyEqual, in.TallyError)
		if in.Killed {
			tally = "tally not read"
		}
		fmt.Fprintf(w, "  instance %d%s: ready %.0f ms, %d phones, RSS %d → %d KiB, CPU %.1f s, %s\n",
			in.Index, state, in.StartToReadyMs, in.Phones, in.RSS0KiB, in.RSSNKiB, in.CPU, tally)
	}
	if f := r.Failover; f != nil {
		fmt.Fprintf(w, "  failover [G7]: instance %d killed %.1f s into the votes with %d phones; back %d, within 10 s %d, not back %d; kill → welcome p50 %.0f ms p99 %.0f ms max %.0f ms; with current section %d; same participant %d; resent %d; votes lost %d; other reconnects %d; failed attempts %v\n",
			f.Killed, f.KilledAfterS, f.Phones, f.Back, f.BackWithin10s, f.NotBack, f.KillToWelcome.P50, f.KillToWelcome.P99,
			f.KillToWelcome.Max, f.WithState, f.Same, f.Resent, r.Votes.Lost, f.OtherReconnects, f.FailedAttempts)
	}
	fmt.Fprintln(w)
}
