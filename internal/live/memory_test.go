package live

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"pejl/internal/forum"
)

// BenchmarkIdleConnectionMemory measures GOALS G2: the server's resident memory per idle
// participant connection (RSS with N sockets minus RSS with none, divided by N). The
// sockets are opened by a child process, so that only the server's side is counted. Run
// it without -race:
//
//	go test -run '^$' -bench IdleConnectionMemory -benchtime 1x ./internal/live/
//
// PEJL_LIVE_MEM_N sets N (default 2000).
func BenchmarkIdleConnectionMemory(b *testing.B) {
	n := 2000
	if s := os.Getenv("PEJL_LIVE_MEM_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	if os.Getenv("PEJL_LIVE_MEM_PROFILE") != "" {
		runtime.MemProfileRate = 1
	}
	eng := openEngine(b, memEngine, b.TempDir())
	b.Cleanup(func() { _ = eng.Close() })
	in := newInstance(b, eng, &forum.User{ID: "u-bench", Role: forum.RoleFacilitator}, Config{}, "a")
	sess := in.newSession(nil)
	for range b.N {
		rss0, heap0 := settledMemory()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), memClientEnv+"="+in.wsURL("/api/v1/join/"+sess.Code+"/live"), "PEJL_LIVE_MEM_N="+strconv.Itoa(n))
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "ready") {
			b.Fatalf("client: %q %v", line, err)
		}
		for in.hub.Connections() < n {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Second)
		rss1, heap1 := settledMemory()
		if path := os.Getenv("PEJL_LIVE_MEM_PROFILE"); path != "" {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.Logf("heap in use %d KiB, stacks %d KiB, goroutines %d", ms.HeapInuse>>10, ms.StackInuse>>10, runtime.NumGoroutine())
			f, _ := os.Create(path)
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			_ = f.Close()
		}
		perRSS := float64(rss1-rss0) / float64(n)
		perGo := float64(heap1-heap0) / float64(n)
		b.ReportMetric(perRSS, "rss-bytes/conn")
		b.ReportMetric(perGo, "go-bytes/conn")
		b.Logf("%d idle participant sockets: RSS +%d KiB (%.0f B/conn), Go heap+stacks +%d KiB (%.0f B/conn)",
			n, (rss1-rss0)>>10, perRSS, (heap1-heap0)>>10, perGo)
		_ = stdin.Close()
		_ = cmd.Wait()
		for in.hub.Connections() > 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func settledMemory() (rss, goMem uint64) {
	for range 4 { // a stack shrinks by half per GC cycle while it is mostly unused
		runtime.GC()
	}
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	data, _ := os.ReadFile("/proc/self/status")
	for _, l := range bytes.Split(data, []byte("\n")) {
		if f := strings.Fields(string(l)); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			rss = kb << 10
		}
	}
	return rss, ms.HeapInuse + ms.StackInuse
}

const memClientEnv = "PEJL_LIVE_MEM_CLIENT"

// memClient is the benchmark's child process: it opens N participant sockets, says hello
// on each, reports "ready", and keeps them open (reading) until its stdin closes.
func memClient(url string) {
	n, _ := strconv.Atoi(os.Getenv("PEJL_LIVE_MEM_N"))
	d := &websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 1024}
	conns := make([]*websocket.Conn, 0, n)
	for range n {
		ws, _, err := d.Dial(url, http.Header{"Origin": {allowed}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "dial:", err)
			os.Exit(1)
		}
		if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello"}`)); err != nil {
			os.Exit(1)
		}
		if _, _, err := ws.ReadMessage(); err != nil {
			fmt.Fprintln(os.Stderr, "welcome:", err)
			os.Exit(1)
		}
		conns = append(conns, ws)
		go func() {
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
		}()
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	for _, ws := range conns {
		_ = ws.Close()
	}
	os.Exit(0)
}
