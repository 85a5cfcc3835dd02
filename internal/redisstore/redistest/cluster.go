package redistest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Cluster is a Redis Cluster on loopback: redis-servers this process started with
// cluster mode on, joined with `redis-cli --cluster create`, the 16384 slots spread evenly
// over the masters, and one replica per master if asked. Everything stops when the test
// ends.
type Cluster struct {
	// Masters are the servers that held the slots when the cluster was made; Replicas[i]
	// (if any) replicates Masters[i] then.
	Masters, Replicas []*Server
}

// StartCluster starts a cluster of masters (≥ 3, as redis-cli requires) with replicas
// replicas each (0 or 1) and waits until every node says cluster_state:ok. It fails t if
// redis-server or redis-cli is missing or the cluster does not form.
func StartCluster(t testing.TB, masters, replicas int) *Cluster {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatal("redis-cli not found: install it with redis-server (apt-get install -y redis-server)")
	}
	opts := Options{Args: []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", "1000", "--cluster-replica-validity-factor", "0",
		// A replica's full sync starts at once, not after the default 5 s wait for more replicas.
		"--repl-diskless-sync-delay", "0"}}
	c := &Cluster{}
	args := []string{"--cluster", "create"}
	for range masters {
		s := Start(t, opts)
		c.Masters = append(c.Masters, s)
		args = append(args, s.Addr)
	}
	for range masters * replicas {
		s := Start(t, opts)
		c.Replicas = append(c.Replicas, s)
		args = append(args, s.Addr)
	}
	args = append(args, "--cluster-replicas", fmt.Sprint(replicas), "--cluster-yes")
	out, err := exec.Command("redis-cli", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, s := range append(append([]*Server{}, c.Masters...), c.Replicas...) {
		waitClusterOK(t, s, deadline)
	}
	// redis-cli picks which master each replica follows: order them to match.
	byMaster := map[string]*Server{}
	for _, s := range c.Replicas {
		info := waitRole(t, s, "slave", "master_link_status:up", deadline)
		for _, line := range strings.Split(info, "\n") {
			if port, ok := strings.CutPrefix(strings.TrimSpace(line), "master_port:"); ok {
				byMaster[port] = s
			}
		}
	}
	for i, m := range c.Masters[:len(c.Replicas)] {
		_, port, _ := net.SplitHostPort(m.Addr)
		if byMaster[port] == nil {
			t.Fatalf("redistest: no replica follows master %s", m.Addr)
		}
		c.Replicas[i] = byMaster[port]
	}
	return c
}

// URL returns a redis:// URL naming every master (go-redis's cluster form: the first node
// in the host, the others as addr parameters).
func (c *Cluster) URL() string {
	u := "redis://" + c.Masters[0].Addr
	for i, s := range c.Masters[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		u += sep + "addr=" + s.Addr
	}
	return u
}

// Failover promotes the replica of Masters[i] with CLUSTER FAILOVER (the replica first
// catches up with its master, so no write the master acknowledged is lost) and waits
// until the replica is a master and the old master its replica. Masters and Replicas are
// swapped at i.
func (c *Cluster) Failover(t testing.TB, i int) {
	t.Helper()
	r := c.Replicas[i]
	if _, err := command(r.Addr, "CLUSTER", "FAILOVER"); err != nil {
		t.Fatalf("redistest: CLUSTER FAILOVER on %s: %v", r.Addr, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	waitRole(t, r, "master", "", deadline)
	waitRole(t, c.Masters[i], "slave", "master_link_status:up", deadline)
	c.Masters[i], c.Replicas[i] = r, c.Masters[i]
}

// HoldReplica makes Replicas[i] fall behind for good: it stops the replica's process
// (SIGSTOP) and has Masters[i] close its replication link (CLIENT KILL TYPE replica), so
// nothing the master writes from now on reaches the replica (bytes already on the socket
// may). The master keeps answering; WAIT on it finds no replica. Crash or
// Replicas[i].Resume ends the stop (after Resume the replica reconnects and catches up).
func (c *Cluster) HoldReplica(t testing.TB, i int) {
	t.Helper()
	c.Replicas[i].Pause()
	if _, err := command(c.Masters[i].Addr, "CLIENT", "KILL", "TYPE", "replica"); err != nil {
		t.Fatalf("redistest: CLIENT KILL TYPE replica on %s: %v", c.Masters[i].Addr, err)
	}
}

// Crash kills Masters[i] with SIGKILL, as a crash would, lets its replica go on (if it
// was held) and waits until the cluster promoted the replica by itself (automatic
// failover: the other masters mark the dead one as failed after cluster-node-timeout and
// elect the replica). Then it starts the dead master again on its address, empty (no
// persistence), and waits until it has joined as the new master's replica, so the shard
// has a replica again. Masters and Replicas are swapped at i.
func (c *Cluster) Crash(t testing.TB, i int) {
	t.Helper()
	m, r := c.Masters[i], c.Replicas[i]
	m.Kill()
	r.Resume()
	deadline := time.Now().Add(20 * time.Second)
	waitRole(t, r, "master", "", deadline)
	waitClusterOK(t, r, deadline)
	m.Restart()
	waitRole(t, m, "slave", "", deadline)
	waitRole(t, m, "slave", "master_link_status:up", deadline)
	c.Masters[i], c.Replicas[i] = r, m
}

// StartReplicated starts a master and one replica of it (no cluster) and waits until the
// replica is in sync. Both stop when the test ends.
func StartReplicated(t testing.TB, opts Options) (master, replica *Server) {
	t.Helper()
	opts.Args = append(opts.Args[:len(opts.Args):len(opts.Args)], "--repl-diskless-sync-delay", "0")
	master = Start(t, opts)
	host, port, _ := net.SplitHostPort(master.Addr)
	ropts := opts
	ropts.Args = append(opts.Args[:len(opts.Args):len(opts.Args)], "--replicaof", host, port)
	replica = Start(t, ropts)
	deadline := time.Now().Add(20 * time.Second)
	waitRole(t, replica, "slave", "master_link_status:up", deadline)
	waitReplicated(t, master, deadline)
	return master, replica
}

// waitReplicated waits until a write on master is confirmed by a replica (SET, then WAIT 1
// on the same connection): the link being up on the replica's side does not yet mean that
// the master counts it for WAIT, and a test that waits for replicas would fail meanwhile.
func waitReplicated(t testing.TB, master *Server, deadline time.Time) {
	t.Helper()
	const req = "*3\r\n$3\r\nSET\r\n$16\r\nredistest:synced\r\n$1\r\n1\r\n" +
		"*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$4\r\n1000\r\n"
	for {
		got, err := func() (string, error) {
			conn, err := net.DialTimeout("tcp", master.Addr, time.Second)
			if err != nil {
				return "", err
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
			if _, err := conn.Write([]byte(req)); err != nil {
				return "", err
			}
			r := bufio.NewReader(conn)
			if _, err := r.ReadString('\n'); err != nil { // +OK
				return "", err
			}
			line, err := r.ReadString('\n')
			return strings.TrimSpace(line), err
		}()
		if err == nil && got == ":1" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: no replica of %s confirms writes: %q %v", master.Addr, got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitClusterOK waits until CLUSTER INFO of s says cluster_state:ok.
func waitClusterOK(t testing.TB, s *Server, deadline time.Time) {
	t.Helper()
	for {
		info, err := command(s.Addr, "CLUSTER", "INFO")
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: cluster node %s not ok: %v %s", s.Addr, err, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitRole waits until INFO replication of s shows the role (and also, if not empty) and
// returns it.
func waitRole(t testing.TB, s *Server, role, also string, deadline time.Time) string {
	t.Helper()
	for {
		info, err := command(s.Addr, "INFO", "replication")
		if err == nil && strings.Contains(info, "role:"+role) && strings.Contains(info, also) {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: %s is not %s (%s): %v %s", s.Addr, role, also, err, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Keys returns how many keys each current master holds (DBSIZE), in the order of Masters.
func (c *Cluster) Keys(t testing.TB) []int {
	t.Helper()
	out := make([]int, len(c.Masters))
	for i, s := range c.Masters {
		n, err := command(s.Addr, "DBSIZE")
		if err != nil {
			t.Fatalf("redistest: DBSIZE on %s: %v", s.Addr, err)
		}
		_, _ = fmt.Sscan(n, &out[i])
	}
	return out
}

// command sends one command and returns its reply as text: an integer or a bulk string
// (an error reply is returned as an error).
func command(addr string, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	switch {
	case strings.HasPrefix(line, "-"):
		return "", fmt.Errorf("%s", line[1:])
	case strings.HasPrefix(line, "$"):
		var n int
		_, _ = fmt.Sscan(line[1:], &n)
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	default:
		return strings.TrimLeft(line, "+:"), nil
	}
}
