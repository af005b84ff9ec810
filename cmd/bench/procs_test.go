package main

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether a process pid exists (and is not a zombie we
// could still see).
func alive(pid int) bool {
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		return !strings.Contains(string(b), ") Z ")
	}
	return syscall.Kill(pid, 0) == nil
}

func TestSupervisorStopsChildrenAndTheirGroups(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	s := newSupervisor(t.TempDir())
	// The shell ignores SIGTERM and starts a grandchild that prints its
	// pid: only killing the whole group stops both.
	c, err := s.start("stubborn", sh, []string{"-c", `trap "" TERM; sleep 60 & echo $!; wait`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var grandchild int
	for deadline := time.Now().Add(5 * time.Second); grandchild == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(c.logPath)
		grandchild, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if grandchild == 0 {
		t.Fatal("the child did not report its grandchild")
	}
	start := time.Now()
	s.close()
	if done, _ := c.exited(); !done {
		t.Fatal("the child is still running after close")
	}
	if took := time.Since(start); took > killGrace+2*time.Second {
		t.Errorf("close took %v", took)
	}
	for deadline := time.Now().Add(2 * time.Second); alive(grandchild) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(grandchild) {
		syscall.Kill(grandchild, syscall.SIGKILL)
		t.Error("the grandchild survived: the process group was not killed")
	}
}

func TestChildStopIsGraceful(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	s := newSupervisor(t.TempDir())
	defer s.close()
	c, err := s.start("polite", sh, []string{"-c", `trap "echo bye; exit 0" TERM; while :; do sleep 0.05; done`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the shell set its trap
	if err := c.stop(5 * time.Second); err != nil {
		t.Fatalf("stop = %v, want a graceful exit", err)
	}
	if tail := c.logTail(); !strings.Contains(tail, "bye") {
		t.Errorf("the child did not see SIGTERM; output %q", tail)
	}
}

func TestWaitReadyReportsAnEarlyExit(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	s := newSupervisor(t.TempDir())
	defer s.close()
	c, err := s.start("broken", sh, []string{"-c", `echo "listen: address already in use" >&2; exit 1`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := freeAddr()
	err = waitReady(t.Context(), c, tcpOpen(addr))
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), "exited") {
		t.Errorf("waitReady = %v, want the exit and the child's output", err)
	}
}

// TestClusterAddrsAreDistinct: a port handed out again by the OS (here, by
// a source that repeats itself), or one that is another's bus port, is not
// given to two nodes.
func TestClusterAddrsAreDistinct(t *testing.T) {
	var pool []string
	for len(pool) < 4 {
		addr, err := freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		_, p, _ := net.SplitHostPort(addr)
		if port, _ := strconv.Atoi(p); port+20000 <= 65535 {
			pool = append(pool, addr)
		}
	}
	_, p0, _ := net.SplitHostPort(pool[0])
	port0, _ := strconv.Atoi(p0)
	bus0 := "127.0.0.1:" + strconv.Itoa(port0+10000)
	// Each address twice, and the first one's bus port among them.
	seq := []string{pool[0], pool[0], bus0, pool[1], pool[1], pool[2], pool[0], pool[3]}
	i := 0
	free := func() (string, error) {
		addr := seq[i%len(seq)]
		i++
		return addr, nil
	}
	addrs, err := clusterAddrsFrom(4, free)
	if err != nil {
		t.Fatal(err)
	}
	ports := map[int]bool{}
	for _, addr := range addrs {
		_, p, _ := net.SplitHostPort(addr)
		port, _ := strconv.Atoi(p)
		for _, q := range []int{port, port + 10000} {
			if ports[q] {
				t.Fatalf("got %v; want 4 addresses whose ports and bus ports are all different", addrs)
			}
			ports[q] = true
		}
	}
	if len(addrs) != 4 {
		t.Errorf("got %d addresses; want 4", len(addrs))
	}
}
