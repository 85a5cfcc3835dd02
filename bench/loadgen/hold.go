package main

// Helpers: one process may hold only as many sockets as its open-file limit allows (20,000
// on the shared machine, where the hard limit cannot be raised), so a room larger than that
// is opened partly by helper processes: the generator starts itself again with
// -scenario hold for the participants it cannot hold. A helper opens its share (same
// arrival rate, same spread over the instances and source addresses, by global participant
// index), prints its handshake results as one JSON line, keeps the sockets open until its
// stdin closes, then closes them and exits. Its participants are idle: the votes, the
// canary, the order probes and the section changes (G5) use the generator's own.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
}

// hold starts helpers for the participants this process does not open itself, one after
// the other, and adds their handshakes to the run's.
func (r *runner) hold(ctx context.Context) error {
	rest, offset := r.cfg.participants-r.own, r.own
	if rest <= 0 {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	hs := &r.res.Handshakes
	for rest > 0 && ctx.Err() == nil {
		k := min(rest, r.cfg.perProc)
		logf("[%s run %d] helper process: participants %d..%d", r.tgt.name(), r.res.Run, offset, offset+k-1)
		cmd := exec.Command(exe, "-scenario", "hold", "-hold-urls", strings.Join(r.s.partURLs, ","),
			"-hold-offset", strconv.Itoa(offset), "-participants", strconv.Itoa(k),
			"-ramp", strconv.FormatFloat(r.cfg.ramp, 'f', -1, 64)+"/s", "-src-hosts", strconv.Itoa(r.cfg.srcHosts))
		cmd.Stderr = os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start a helper: %w", err)
		}
		h := &helper{cmd: cmd, stdin: stdin, done: make(chan struct{})}
		r.helpers = append(r.helpers, h)
		line := make(chan []byte, 1)
		go func() {
			b, _ := bufio.NewReader(stdout).ReadBytes('\n')
			line <- b
			_, _ = io.Copy(io.Discard, stdout)
			_ = cmd.Wait()
			close(h.done)
		}()
		var b []byte
		select {
		case b = <-line:
		case <-ctx.Done():
			return ctx.Err()
		}
		var res handshakeResult
		if err := json.Unmarshal(b, &res); err != nil {
			return fmt.Errorf("helper for participants %d..: no result (%v)", offset, err)
		}
		hs.Held = append(hs.Held, res)
		hs.Attempted += res.Attempted
		hs.OK += res.OK
		hs.Failed += res.Failed
		for k, v := range res.Failures {
			if hs.Failures == nil {
				hs.Failures = map[string]int64{}
			}
			hs.Failures[k] += v
		}
		for _, e := range res.Examples {
			if len(hs.Examples) < 5 {
				hs.Examples = append(hs.Examples, "helper: "+e)
			}
		}
		hs.RampS += res.RampS
		rest -= k
		offset += k
	}
	return ctx.Err()
}

// releaseHelpers tells the helpers to close their sockets and waits for them (bounded).
func (r *runner) releaseHelpers() {
	for _, h := range r.helpers {
		_ = h.stdin.Close()
	}
	for _, h := range r.helpers {
		select {
		case <-h.done:
		case <-time.After(30 * time.Second):
			_ = h.cmd.Process.Kill()
			<-h.done
		}
	}
}

// holdMain is a helper (-scenario hold): see the top of this file.
func holdMain(cfg *config, urls []string, offset int) error {
	if len(urls) == 0 || urls[0] == "" {
		return errors.New("-scenario hold needs -hold-urls")
	}
	if _, err := raiseNoFile(uint64(cfg.participants) + 64); err != nil {
		logf("helper: cannot raise RLIMIT_NOFILE: %v", err)
	}
	r := &runner{cfg: cfg, proto: pejlProto{}, s: &sessionInfo{partURLs: urls}, clock: clock{base: time.Now()},
		res: &runResult{}, hsHist: newHist(), own: cfg.participants, offset: offset}
	r.ramp(context.Background())
	hs := &r.res.Handshakes
	hs.OK = len(r.parts)
	hs.Failed = r.hsFail.total()
	hs.Failures = r.hsFail.snapshot()
	hs.Examples = r.hsExamples
	hs.ToWelcomeMs = r.hsHist.summary()
	hs.PerInstance = make([]int, len(urls))
	for _, c := range r.parts {
		hs.PerInstance[c.inst.Load()]++
	}
	b, err := json.Marshal(hs)
	if err != nil {
		return err
	}
	if _, err := os.Stdout.Write(append(b, '\n')); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // until the generator closes it (or dies)
	r.closeAll()
	return nil
}
